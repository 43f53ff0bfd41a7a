"""Benchmark: the bot's peak RSS during a push to 100,000 subscribers.

Subscribes ``--chats`` private chats in the store (through ``Subscriptions``, in brief
mode, the default: one message each, with the /digest keyboard), then the bot (its own
process, built and started as ``hotdigest run`` builds it) pushes the sample digest to
all of them through the fake Bot API (its own process, no flood limits, ``--latency``
per call, kept small so that the run is short) with its own pace lifted. Reports the
bot process's peak RSS (``ru_maxrss``) and its RSS once started, before the push.

With ``--anchor DIR`` (a checkout of the code before a change, with its own ``uv sync``)
the same push runs with that code first, and both are printed side by side.

Run: ``uv run python bench/memory.py [--chats 100000] [--latency 0.005] [--anchor DIR]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

from figures import add_figures, checkouts, comparison_parser, key_values, load_average, machine
from harness import measure_push


def main() -> None:
    parser = comparison_parser(__doc__, latency=0.005)
    parser.add_argument("--chats", type=int, default=100_000)
    args = parser.parse_args()
    print(machine(), "|", load_average())
    line: dict[str, object] = {"chats": args.chats}
    for name, code in checkouts(args.anchor).items():
        run = measure_push(
            args.chats,
            latency=args.latency,
            limits=False,
            rate=100_000,
            paid=True,
            mode="brief",
            timeout=600 + args.chats / 100,
            code=code,
        )
        bot = run.bot
        print(
            f"{name:>6}: {run.messages:,} messages to {bot['delivered']:,} of {run.chats:,} "
            f"chats in {bot['wall_s']:.1f}s; the bot's RSS: {bot['rss_before_mb']:.0f} MB "
            f"started, {bot['peak_rss_mb']:.0f} MB at its peak"
        )
        figures = {
            "messages": run.messages,
            "seconds": round(bot["wall_s"], 1),
            "rss_started_mb": round(bot["rss_before_mb"], 1),
            "peak_rss_mb": round(bot["peak_rss_mb"], 1),
            "failed": bot["failed"],
        }
        add_figures(line, name, figures)
    print("after:", load_average())
    print(key_values(line))


if __name__ == "__main__":
    main()
