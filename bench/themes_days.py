"""Score the digest built from each labelled day: theme F1, coverage, same-story merging.

Used by bench/themes.py. A day is a JSONL file that `hotdigest import` reads plus gold
labels (bench/days/README.md); the digest is built exactly as the bot builds it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from itertools import combinations
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

from digest import BuildOptions, Digest, Store, compose_digest, import_posts, load_themes

ROOT = Path(__file__).resolve().parent.parent
DAYS = Path(__file__).resolve().parent / "days"
# Real lists of days before a labelled day, never labelled nor scored: the store history a
# running bot would have had (the 2025 days have no labelled day before them).
HISTORY = DAYS / "history"
SAMPLE = (ROOT / "data" / "sample" / "posts.jsonl", Path(__file__).parent / "themes_gold.toml")
OTHER = "other"
CUT = "(cut)"  # a labelled post the digest does not show at all
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Gold:
    themes: dict[Key, str]  # every post of the day; "other" = off-topic
    titles: dict[Key, str]
    also: dict[Key, frozenset[str]]  # a second defensible theme (the sample's `also`)
    stories: list[frozenset[Key]] | None  # None: not labelled for stories


@dataclass(frozen=True, slots=True)
class DayScore:
    name: str
    posts: int
    themed: int  # posts the digest shows under a theme (not Other)
    f1: float
    precision: float
    recall: float
    coverage: float
    on_topic: int
    story_tp: int
    story_pred: int
    story_gold: int
    off_topic_themed: list[str]  # titles of off-topic posts given a tech theme
    missing: list[str]  # on-topic posts left out of the themes
    wrong: list[str]  # "title | gold | digest" where the digest's theme differs
    # (source, post_id, gold theme, the digest's theme, "other" or CUT) per labelled post
    outcomes: list[tuple[str, str, str, str]]


def load_gold(path: Path) -> Gold:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    themes: dict[Key, str] = {}
    titles: dict[Key, str] = {}
    also: dict[Key, frozenset[str]] = {}
    for entry in data["posts"]:
        if "key" in entry:
            source, post_id = entry["key"].split(":", 1)
        else:  # bench/themes_gold.toml (the sample) keys by source and post_id
            source, post_id = entry["source"], entry["post_id"]
        themes[(source, post_id)] = entry["theme"]
        titles[(source, post_id)] = entry.get("title", post_id)
        also[(source, post_id)] = frozenset(entry.get("also", ()))
    if "stories" not in data:  # the sample's labels predate story labelling
        return Gold(themes, titles, also, None)
    stories = [frozenset(_key(k) for k in group["posts"]) for group in data.get("stories", [])]
    return Gold(themes, titles, also, stories)


def _key(text: str) -> Key:
    source, post_id = text.split(":", 1)
    return (source, post_id)


def labelled_days(exclude: Collection[str] = ()) -> list[tuple[str, Path, Path]]:
    """The sample and every day of bench/days/, but the days named in ``exclude``.

    Excluding keeps days labelled for a later single scoring out of the runs made while
    the matcher changes (`bench/themes.py --exclude 2026-05-13,2026-02-18`).
    """
    days = [("sample 2026-02-15", *SAMPLE)]
    for posts in sorted(DAYS.glob("*.jsonl")):
        if posts.stem not in exclude:
            days.append((posts.stem, posts, posts.with_suffix(".gold.toml")))
    return days


def first_seen(posts: Path) -> datetime:
    """When the file's posts were seen (each labelled day stamps all its posts alike)."""
    first = json.loads(posts.read_text(encoding="utf-8").splitlines()[0])
    return datetime.fromisoformat(first["seen_at"].replace("Z", "+00:00"))


def day_store(posts: Path) -> tuple[Store, datetime]:
    """An in-memory store holding the day's posts and, as the history a running bot would
    have, every labelled day (and the sample) and every unlabelled history day
    (bench/days/history/) seen on an earlier date: never a later day, never the day's labels."""
    seen = first_seen(posts)
    store = Store.memory()
    earlier = [path for _, path, _ in labelled_days()] + sorted(HISTORY.glob("*.jsonl"))
    for path in sorted(earlier, key=first_seen):
        if first_seen(path).date() < seen.date():
            import_posts(store, path, now=first_seen(path))
    import_posts(store, posts, now=seen)
    return store, seen


def build_day(posts: Path, options: BuildOptions | None = None) -> Digest:
    """The digest of the day the posts were seen, with the earlier days as history."""
    store, seen = day_store(posts)
    options = options or BuildOptions(themes=load_themes(), build_time=time(18, 30))
    # Sightings at 18:00 local fall in the window ending at the day's 18:30 build.
    day = seen.astimezone(ZoneInfo(options.timezone)).date()
    return compose_digest(store, day, options, seen)


def _pairs(groups: Iterable[Iterable[Key]]) -> set[frozenset[Key]]:
    return {frozenset(pair) for group in groups for pair in combinations(sorted(group), 2)}


def score_day(name: str, digest: Digest, gold: Gold) -> DayScore:
    by_index = {entry.index: (entry.source, entry.post_id) for entry in digest.sources}
    title = {(e.source, e.post_id): e.title for e in digest.sources}
    themes = digest.facts.get("themes", [])
    assert isinstance(themes, list)
    predicted: dict[Key, str] = {}
    items: list[list[Key]] = []
    for group in themes:
        for item in group["items"]:
            keys = [by_index[i] for i in item]
            items.append(keys)
            if group["id"] != OTHER:
                predicted.update((key, group["id"]) for key in keys)
    # Where the labels accept a second theme (`also`), the digest's choice of it is right.
    accepted = {
        k: predicted[k] if predicted.get(k) in gold.also.get(k, ()) else t
        for k, t in gold.themes.items()
    }
    # Off-topic posts are each their own gold group: grouping them with anything is wrong.
    gold_group = {k: (t if t != OTHER else f"{OTHER}:{k}") for k, t in accepted.items()}
    themed = [k for k in predicted if k in gold_group]
    precision, recall, f1 = pairwise_f1(predicted, gold_group)
    on_topic = [k for k, t in gold.themes.items() if t != OTHER]
    covered = [k for k in on_topic if k in predicted]
    story_gold = _pairs(gold.stories or [])
    story_pred = {p for p in _pairs(items) if all(k in gold.themes for k in p)}
    if gold.stories is None:
        story_pred = set()
    return DayScore(
        name=name,
        posts=len(gold.themes),
        themed=len(themed),
        f1=f1,
        precision=precision,
        recall=recall,
        coverage=len(covered) / len(on_topic) if on_topic else 1.0,
        on_topic=len(on_topic),
        story_tp=len(story_pred & story_gold),
        story_pred=len(story_pred),
        story_gold=len(story_gold),
        off_topic_themed=[title[k] for k in predicted if accepted.get(k) == OTHER],
        wrong=[
            f"{title[k][:50]} | {gold.themes[k]} | {predicted[k]}"
            for k in themed
            if accepted[k] != predicted[k]
        ],
        missing=[title.get(k, ":".join(k)) for k in on_topic if k not in predicted],
        outcomes=[
            (*k, t, predicted.get(k, OTHER if k in title else CUT)) for k, t in accepted.items()
        ],
    )


def pairwise_f1(predicted: dict[Key, str], gold_group: dict[Key, str]) -> tuple[float, ...]:
    """Precision, recall and F1 of same-theme pairs among the labelled posts ``predicted`` themes.

    ``gold_group`` gives each off-topic post a group of its own, so pairing it is wrong.
    """
    themed = [k for k in predicted if k in gold_group]
    pred_pairs = {
        frozenset(p) for p in combinations(themed, 2) if predicted[p[0]] == predicted[p[1]]
    }
    gold_pairs = {
        frozenset(p) for p in combinations(themed, 2) if gold_group[p[0]] == gold_group[p[1]]
    }
    tp = len(pred_pairs & gold_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_all(options: BuildOptions | None = None, exclude: Collection[str] = ()) -> list[DayScore]:
    scores = []
    for name, posts, gold_path in labelled_days(exclude):
        gold = load_gold(gold_path)
        scores.append(score_day(name, build_day(posts, options), gold))
    return scores


# Run in a fresh interpreter whose `digest` (and its data/themes.toml) is another commit's.
_SCORE_REVISION = (
    "import dataclasses, json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
    "from themes_days import score_all; "
    "print(json.dumps([dataclasses.asdict(s) for s in score_all(exclude=sys.argv[3:])]))"
)


def score_revision(revision: str, exclude: Collection[str] = ()) -> list[DayScore]:
    """The same days and labels scored with the builder and taxonomy of ``revision``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "digest", "data"],
        capture_output=True,
        check=True,
    ).stdout
    with TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        return score_tree(Path(tmp), exclude)


def score_tree(tree: Path, exclude: Collection[str] = ()) -> list[DayScore]:
    """The days scored with the `digest/` and `data/` found in directory ``tree``."""
    run = subprocess.run(
        [sys.executable, "-c", _SCORE_REVISION, str(tree), str(Path(__file__).parent), *exclude],
        capture_output=True,
        check=True,
        text=True,
        cwd=tree,
    )
    return [DayScore(**fields) for fields in json.loads(run.stdout)]


def story_figures(scores: Sequence[DayScore]) -> str:
    """Same-story precision and recall summed over ``scores``' days."""
    tp = sum(s.story_tp for s in scores)
    pred = sum(s.story_pred for s in scores)
    gold = sum(s.story_gold for s in scores)
    return (
        f"precision {tp}/{pred} = {tp / pred if pred else 1:.2f}, "
        f"recall {tp}/{gold} = {tp / gold if gold else 1:.2f}"
    )


def print_scores(
    scores: Sequence[DayScore],
    verbose: bool = True,
    before: Sequence[DayScore] = (),
    held_out: Iterable[str] = (),
    unseen: Sequence[str] = (),
) -> None:
    """The table of every day; with ``verbose``, each day's disagreements except held-out days'.

    The same-story figures are given over all days and over the ``unseen`` ones, and for
    ``before`` (another revision's scores) likewise, so a change is judged in one run.
    """
    hidden = set(held_out)
    was = {s.name: s for s in before}
    header = (
        f"{'day':<18} {'posts':>5} {'themed':>6} {'F1':>5} {'P':>5} {'R':>5} "
        f"{'coverage':>8} {'story P':>8} {'story R':>8} {'off-topic':>9}"
        + (f" {'F1 was':>6} {'cov was':>7}" if was else "")
    )
    print(
        "\nDigest themes per labelled day (targets: F1 >= 0.85, coverage >= 0.8, "
        "story recall >= 0.8, precision >= 0.95)\n"
    )
    print(header)
    print("-" * len(header))
    for s in scores:
        sp = f"{s.story_tp}/{s.story_pred}" if s.story_pred else "-"
        sr = f"{s.story_tp}/{s.story_gold}" if s.story_gold else "-"
        print(
            f"{s.name:<18} {s.posts:>5} {s.themed:>6} {s.f1:>5.2f} {s.precision:>5.2f} "
            f"{s.recall:>5.2f} {s.coverage:>8.2f} {sp:>8} {sr:>8} {len(s.off_topic_themed):>9}"
            + (f" {was[s.name].f1:>6.2f} {was[s.name].coverage:>7.2f}" if s.name in was else "")
        )
    runs = [("", scores), ("before: ", before)] if before else [("", scores)]
    print()
    for label, days in runs:
        print(f"same-story pairs over {label}all days: {story_figures(days)}")
    for label, days in runs if unseen else []:
        picked = [s for s in days if s.name.split()[-1] in unseen]
        print(f"same-story pairs over {label}unseen days: {story_figures(picked)}")
    if verbose:
        for s in scores:
            if s.name.split()[-1] in hidden:  # scored, never read: a day nothing is tuned on
                print(f"\n{s.name}: held out, disagreements not listed")
                continue
            if s.off_topic_themed or s.missing:
                print(f"\n{s.name}:")
            for t in s.off_topic_themed:
                print(f"  off-topic but themed: {t[:60]}")
            for t in s.wrong:
                print(f"  theme: {t}")
            for t in s.missing:
                print(f"  on-topic, not themed: {t[:60]}")
