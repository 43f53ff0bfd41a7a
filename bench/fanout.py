"""Benchmark: a push to N chats under Telegram's flood limits, against the floor N*3/30 s.

The fake Bot API (its own process) enforces 30 messages/s for the bot, one a second per
chat, and answers each call after ``--latency``; the bot (its own process, built and
started as ``hotdigest run`` builds it) pushes the sample digest to ``--chats`` private
chats subscribed in full mode with three sections (summary, highlights, metrics), which
render to 3 messages each, as ``hotdigest push --date`` would. Reports the push's wall
time (planning and rendering included) against the floor, messages/s, and 429s.

Run: ``uv run python bench/fanout.py [--chats 10000] [--latency 0.05]``
(10,000 chats take about 17 minutes; ``--chats 1000`` about 2.)
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse

from harness import key_values, machine, measure_push

TELEGRAM_PER_SECOND = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    args = parser.parse_args()
    print(machine())
    floor_guess = args.chats * 3 / TELEGRAM_PER_SECOND
    run = measure_push(args.chats, latency=args.latency, limits=True, timeout=300 + 2 * floor_guess)
    bot = run.bot
    floor = run.chats * run.parts / TELEGRAM_PER_SECOND
    wall = bot["wall_s"]
    print(
        f"{run.messages:,} messages to {bot['delivered']:,} of {run.chats:,} chats in {wall:.1f}s "
        f"(floor {floor:.1f}s: {100 * floor / wall:.1f}% of it); "
        f"{run.messages / wall:.2f} messages/s; {run.fake_stats['served_429']} 429s served, "
        f"{bot['floods']} received; {bot['failed']} failed; "
        f"bot CPU {bot['cpu_ms_per_message']:.2f} ms/message"
    )
    print(
        key_values(
            {
                "chats": run.chats,
                "messages": run.messages,
                "latency_ms": round(args.latency * 1000),
                "seconds": round(wall, 1),
                "floor_seconds": round(floor, 1),
                "floor_percent": round(100 * floor / wall, 2),
                "messages_per_s": round(run.messages / wall, 2),
                "served_429": run.fake_stats["served_429"],
                "floods": bot["floods"],
                "failed": bot["failed"],
                "delivered": bot["delivered"],
            }
        )
    )


if __name__ == "__main__":
    main()
