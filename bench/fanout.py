"""Benchmark: a push to N chats under Telegram's flood limits, against the floor N*3/30 s.

The fake Bot API (its own process) enforces 30 messages/s for the bot, one a second per
chat, and answers each call after ``--latency``; the bot (its own process, built and
started as ``hotdigest run`` builds it) pushes the sample digest to ``--chats`` private
chats subscribed in full mode with three sections (summary, highlights, metrics), which
render to 3 messages each, as ``hotdigest push --date`` would. Reports the push's wall
time (planning and rendering included) against the floor, messages/s, and 429s.

With ``--anchor DIR`` (a checkout of the code before a change, with its own ``uv sync``)
the same push runs with that code too, at the same time, each against a fake of its own,
and both are printed side by side.

Run: ``uv run python bench/fanout.py [--chats 10000] [--latency 0.05] [--anchor DIR]``
(10,000 chats take about 17 minutes; ``--chats 1000`` about 2.) It prints the machine and
its load average before and after, each run's figures and whether it meets issue 12's
target (>= 99% of the floor, 0 x 429); the last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from figures import add_figures, checkouts, comparison_parser, key_values, load_average, machine
from harness import PushRun, measure_push

TELEGRAM_PER_SECOND = 30
# How late the pace counted sends (average, most, how many over 50 ms) and the bot's
# garbage collections (the longest, how many over 50 ms): what holds a send up on its way.
LATENESS = ("late_ms", "late_most_ms", "late_over_50ms", "gc_longest_ms", "gc_over_50ms")


def figures(run: PushRun) -> dict[str, object]:
    bot = run.bot
    floor = run.chats * run.parts / TELEGRAM_PER_SECOND
    wall = bot["wall_s"]
    return {
        "chats": run.chats,
        "messages": run.messages,
        "seconds": round(wall, 1),
        # Planning and rendering before the first send (inside the wall time).
        "before_sends_s": round(wall - bot["seconds"], 1),
        "floor_seconds": round(floor, 1),
        "floor_percent": round(100 * floor / wall, 2),
        "messages_per_s": round(run.messages / wall, 2),
        "served_429": run.fake_stats["served_429"],
        # Which of the fake's limits refused (bot-wide, a chat's, a group's).
        **{f"refused_{k}": v for k, v in run.fake_stats.get("refused_by", {}).items()},
        "floods": bot["floods"],
        "failed": bot["failed"],
        "delivered": bot["delivered"],
        "cpu_ms_per_message": round(bot["cpu_ms_per_message"], 2),
        **{key: round(bot[key], 2) for key in LATENESS if key in bot},
    }


def describe(name: str, f: dict[str, object]) -> str:
    return (
        f"{name:>6}: {f['messages']:,} messages to {f['delivered']:,} of {f['chats']:,} chats in "
        f"{f['seconds']}s (floor {f['floor_seconds']}s: {f['floor_percent']}% of it; "
        f"{f['before_sends_s']}s of planning before the sends); "
        f"{f['messages_per_s']} messages/s; {f['served_429']} 429s served "
        f"(bot-wide {f.get('refused_bot', 0)}, a chat's {f.get('refused_chat', 0)}), {f['floods']} "
        f"received; {f['failed']} failed; bot CPU {f['cpu_ms_per_message']} ms/message"
        + (f"; each send counted {f['late_ms']} ms late on average" if "late_ms" in f else "")
        + (
            f", at most {f['late_most_ms']} ms, {f['late_over_50ms']} over 50 ms"
            if "late_most_ms" in f
            else ""
        )
        + f"; longest garbage collection {f.get('gc_longest_ms')} ms, "
        f"{f.get('gc_over_50ms')} over 50 ms"
    )


def main() -> None:
    parser = comparison_parser(__doc__)
    parser.add_argument("--chats", type=int, default=10_000)
    args = parser.parse_args()
    print(machine(), "|", load_average())
    timeout = 300 + 2 * args.chats * 3 / TELEGRAM_PER_SECOND
    codes = checkouts(args.anchor)
    with ThreadPoolExecutor(len(codes)) as pool:
        runs = {
            name: pool.submit(
                measure_push,
                args.chats,
                latency=args.latency,
                limits=True,
                timeout=timeout,
                code=code,
            )
            for name, code in codes.items()
        }
        results = {name: figures(run.result()) for name, run in runs.items()}
    for name, f in results.items():
        print(describe(name, f))
        met = float(str(f["floor_percent"])) >= 99 and f["served_429"] == 0
        print(f"{name:>6}: target >= 99% of the floor and 0 x 429: {'met' if met else 'NOT met'}")
    print("after:", load_average())
    line: dict[str, object] = {"latency_ms": round(args.latency * 1000)}
    for name, f in results.items():
        add_figures(line, name, f)
    print(key_values(line))


if __name__ == "__main__":
    main()
