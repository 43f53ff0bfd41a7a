"""Benchmark: 10,000 chats × 10 follow groups matched against 1,000 new posts.

The target (issue 15) is ≤ 200 ms for the match on the dev machine. The same groups
and posts go through three term scanners in the same run, and all must find exactly
the same matches: plain regex (one ``re`` alternation of every term), pyahocorasick's
Aho-Corasick automaton, and ahocorasick-rs's (the one hotdigest uses). Building the
matcher (once per alert run) is timed beside it.

Posts are the bundled sample's titles (Chinese and English) with words of the follow
vocabulary mixed in, so that a realistic share of posts match; groups are drawn from
a vocabulary of tech words plus rarer ones (a long tail, as chats follow many
different things), some with +required and !excluded terms and a few regexes.

Run: ``uv run python bench/follows.py [--chats 10000] [--groups 10] [--posts 1000]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ahocorasick  # pyahocorasick: a dev dependency, for this comparison only

from digest import AlertOptions, Store, make_post, plan_alerts, to_iso
from digest.follow.expression import Group, bounded, parse_group
from digest.follow.matcher import AutomatonScanner, Matcher, RegexScanner, bits, post_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "data/sample/posts.jsonl", ROOT / "data/sample/fixture_posts.jsonl"]
COMMON = (
    "Rust Go Python Java Kotlin Swift TypeScript JavaScript React Vue Svelte Flutter Android "
    "iOS Linux Windows macOS Docker Kubernetes Postgres SQLite MySQL Redis Kafka GPU CUDA LLM "
    "GPT Claude Gemini GLM DeepSeek Qwen OpenAI Anthropic WebAssembly Deno Node Bun Zig Nix "
    "大模型 开源 前端 后端 架构 数据库 性能优化 面试 鸿蒙 安全漏洞 编译器 云原生 职场 "
    "浏览器 算法 小程序 微服务 人工智能 机器学习 芯片 华为 小米 字节跳动 阿里 腾讯 百度"
).split()
REGEXES = ("/glm-?\\d/", "/gpt-?[45]/", "/rust\\s*1\\.\\d+/", "/qwen\\d?/", "/v\\d+\\.\\d+/")


class PyAhoScanner:
    """The same scanner on pyahocorasick: its trie looks a node's children up one by one,
    which a root with thousands of Chinese first characters makes slow."""

    def __init__(self, words: list[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        for number, word in enumerate(words):
            self.automaton.add_word(word, (number, word))
        self.automaton.make_automaton()

    def found(self, text: str) -> set[int]:
        return {
            number
            for end, (number, word) in self.automaton.iter(text)
            if bounded(text, end - len(word) + 1, end + 1, word)
        }


SCANNERS = {
    "regex": RegexScanner,
    "pyahocorasick": PyAhoScanner,
    "ahocorasick-rs": AutomatonScanner,
}


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """The common words, then a long tail of rarer made-up terms (half Latin, half CJK)."""
    tail = []
    for n in range(size - len(COMMON)):
        if n % 2:
            tail.append(f"lib{n}x")
        else:
            tail.append("".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(2)))
    return COMMON + tail


def groups_for(rng: random.Random, words: list[str], chats: int, per_chat: int) -> list[Group]:
    """Groups as chats write them: common words often, the tail rarely."""
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]
    made = []
    for _ in range(chats * per_chat):
        chosen = rng.choices(words, weights, k=rng.randint(1, 3))
        text = " ".join(chosen)
        roll = rng.random()
        if roll < 0.2:
            text += " +" + rng.choice(COMMON)
        elif roll < 0.3:
            text += " !" + rng.choice(words)
        elif roll < 0.305:
            text = rng.choice(REGEXES) + " " + text
        made.append(parse_group(text))
    return made


def posts(rng: random.Random, words: list[str], count: int) -> list[str]:
    """Sample titles (and briefs), each with one or two vocabulary words mixed in."""
    base = []
    for path in SAMPLES:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            base.append(post_text(row["title"], row.get("brief")))
    texts = []
    for n in range(count):
        extra = " ".join(rng.choice(words[: len(COMMON) * 4]) for _ in range(rng.randint(0, 2)))
        texts.append(f"{base[n % len(base)]} {extra} #{n}")
    return texts


def timed(func, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000, result


def end_to_end(groups: list[Group], texts: list[str], per_chat: int) -> None:
    """One alert run as the bot makes it: stored groups read and parsed, the matcher
    built, the new posts matched, every (chat, post) claimed in the ledger, batches made."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.db")
        now = datetime.now(UTC)
        with store.db.conn:
            store.db.conn.executemany(
                "INSERT INTO follows (chat_id, expression, paused, created_at) VALUES (?, ?, 0, ?)",
                [(n // per_chat + 1, g.text(), to_iso(now)) for n, g in enumerate(groups)],
            )
        posts = [
            make_post(source="bench", post_id=str(n), title=text[:300], heat=n)
            for n, text in enumerate(texts)
        ]
        store.save_posts(posts, now - timedelta(minutes=1))
        start = time.perf_counter()
        run = plan_alerts(store, now, AlertOptions(timezone="UTC"))
        seconds = time.perf_counter() - start
        store.close()
    print(
        f"end to end: one alert run {seconds:.1f} s: {run.posts:,} new posts, "
        f"{run.claimed:,} alerts claimed in {len(run.batches):,} messages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--posts", type=int, default=1_000)
    parser.add_argument("--vocabulary", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="Also time one alert run (plan_alerts) on a temporary database.",
    )
    args = parser.parse_args()
    rng = random.Random(15)
    words = vocabulary(rng, args.vocabulary)
    groups = groups_for(rng, words, args.chats, args.groups)
    entries = [((n // args.groups, n % args.groups), g) for n, g in enumerate(groups)]
    texts = posts(rng, words, args.posts)
    print(
        f"{args.chats:,} chats × {args.groups} groups = {len(entries):,} groups "
        f"({len({g.text() for g in groups}):,} distinct), {len(texts):,} posts"
    )
    figures, results = {}, {}
    for scanner, kind in SCANNERS.items():
        build_ms, matcher = timed(lambda k=kind: Matcher(entries, k), 1)
        match_ms, hits = timed(lambda m=matcher: m.match_all(texts), args.repeat)
        results[scanner] = hits
        pairs = sum(mask.bit_count() for mask in hits.values())  # type: ignore[attr-defined]
        figures[scanner] = (build_ms, match_ms)
        print(
            f"{scanner:>14}: match {match_ms:8.1f} ms   build {build_ms:7.1f} ms   "
            f"{len(hits):,} groups matched, {pairs:,} (group, post) pairs"  # type: ignore[arg-type]
        )
    hits = results["ahocorasick-rs"]
    expand_ms, _ = timed(lambda: [bits(m) for m in hits.values()], 1)  # type: ignore[attr-defined]
    print(f"listing every (group, post) pair from the masks: {expand_ms:.1f} ms")
    same = results["regex"] == results["pyahocorasick"] == results["ahocorasick-rs"]
    faster = min(figures, key=lambda name: figures[name][1])
    print(f"same matches: {same}; fastest: {faster}; target: match ≤ 200 ms")
    if args.end_to_end:
        end_to_end(groups, texts, args.groups)
    print(
        f"REGEX_MS={figures['regex'][1]:.1f} PYAHO_MS={figures['pyahocorasick'][1]:.1f} "
        f"RS_MS={figures['ahocorasick-rs'][1]:.1f} RS_BUILD_MS={figures['ahocorasick-rs'][0]:.1f} "
        f"SAME={same} FASTEST={faster}"
    )


if __name__ == "__main__":
    main()
