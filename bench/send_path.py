"""Benchmark: the send path with no flood limits (paid broadcast): messages/s and CPU per message.

The fake Bot API (its own process, no limits, each call answered after ``--latency``)
takes everything the bot sends; the bot (its own process, started as ``hotdigest run``
starts it) pushes a 3-message digest (full mode, three sections) to ``--chats`` chats with
``allow_paid_broadcast`` and its own pace lifted to ``--rate``, so that only the send path
limits it. Telegram's one message a second per chat still applies.

Run: ``uv run python bench/send_path.py [--chats 10000] [--latency 0.05] [--rate 100000]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse

from harness import key_values, machine, measure_push


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument(
        "--rate", type=float, default=100_000, help="the bot's own pace cap, messages/s"
    )
    parser.add_argument("--senders", type=int, help="Bots to push through (default: the engine's)")
    parser.add_argument("--connections", type=int, default=1, help="each sender's pool size")
    args = parser.parse_args()
    print(machine())
    run = measure_push(
        args.chats,
        latency=args.latency,
        limits=False,
        rate=args.rate,
        paid=True,
        timeout=600 + args.chats * 3 / 100,
        extra=[f"--senders={args.senders}", f"--connections={args.connections}"]
        if args.senders
        else [],
    )
    bot = run.bot
    print(
        f"{run.messages:,} messages to {bot['delivered']:,} of {run.chats:,} chats in "
        f"{bot['wall_s']:.1f}s: {bot['rate']:.0f} messages/s while sending, "
        f"{bot['cpu_ms_per_message']:.2f} ms of the bot's CPU per message "
        f"(the fake: {1000 * run.fake_cpu_s / max(1, run.messages):.2f} ms); "
        f"{bot['failed']} failed, {run.fake_stats['served_429']} 429s"
    )
    print(
        key_values(
            {
                "chats": run.chats,
                "messages": run.messages,
                "latency_ms": round(args.latency * 1000),
                "seconds": round(bot["wall_s"], 2),
                "messages_per_s": round(bot["rate"], 1),
                "overall_messages_per_s": round(run.messages / bot["wall_s"], 1),
                "bot_cpu_ms_per_message": round(bot["cpu_ms_per_message"], 3),
                "fake_cpu_ms_per_message": round(1000 * run.fake_cpu_s / max(1, run.messages), 3),
                "failed": bot["failed"],
                "served_429": run.fake_stats["served_429"],
            }
        )
    )


if __name__ == "__main__":
    main()
