"""Benchmark: the bot's peak RSS during a push to 100,000 subscribers.

Subscribes ``--chats`` private chats in the store (through ``Subscriptions``, in brief
mode, the default: one message each, with the /digest keyboard), then the bot (its own
process, built and started as ``hotdigest run`` builds it) pushes the sample digest to
all of them through the fake Bot API (its own process, no flood limits, ``--latency``
per call, kept small so that the run is short) with its own pace lifted. Reports the
bot process's peak RSS (``ru_maxrss``) and its RSS once started, before the push.

Run: ``uv run python bench/memory.py [--chats 100000] [--latency 0.005]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse

from harness import key_values, machine, measure_push


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.005, help="seconds per Bot API call")
    args = parser.parse_args()
    print(machine())
    run = measure_push(
        args.chats,
        latency=args.latency,
        limits=False,
        rate=100_000,
        paid=True,
        mode="brief",
        timeout=600 + args.chats / 100,
    )
    bot = run.bot
    print(
        f"{run.messages:,} messages to {bot['delivered']:,} of {run.chats:,} chats in "
        f"{bot['wall_s']:.1f}s; the bot's RSS: {bot['rss_before_mb']:.0f} MB started, "
        f"{bot['peak_rss_mb']:.0f} MB at its peak"
    )
    print(
        key_values(
            {
                "chats": run.chats,
                "messages": run.messages,
                "seconds": round(bot["wall_s"], 1),
                "rss_started_mb": round(bot["rss_before_mb"], 1),
                "peak_rss_mb": round(bot["peak_rss_mb"], 1),
                "failed": bot["failed"],
            }
        )
    )


if __name__ == "__main__":
    main()
