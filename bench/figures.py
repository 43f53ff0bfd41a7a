"""The figures' plumbing shared by the benchmarks: the machine, its load, percentiles,
the ``KEY=VALUE`` last line and the options that compare a checkout with an anchor."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
from collections.abc import Mapping
from pathlib import Path


def machine() -> str:
    """nproc, CPU model and Python version, for the README's tables."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes) and how many cores: it is shared."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def key_values(figures: Mapping[str, object]) -> str:
    """The ``KEY=VALUE ...`` last line."""
    return " ".join(
        f"{key}={value:.6g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in figures.items()
    )


def comparison_parser(doc: str, *, latency: float = 0.05) -> argparse.ArgumentParser:
    """A benchmark's options for comparing this checkout with an anchor: ``--latency``
    (of each fake Bot API call) and ``--anchor`` (the checkout of the code before)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--latency", type=float, default=latency, help="seconds per Bot API call")
    parser.add_argument("--anchor", type=Path, help="a checkout of the code to compare with")
    return parser


def checkouts(anchor: Path | None) -> dict[str, Path | None]:
    """The code each run measures: the anchor's first (when given), then this one, "new"."""
    return {**({"anchor": anchor} if anchor else {}), "new": None}


def add_figures(line: dict[str, object], name: str, figures: Mapping[str, object]) -> None:
    """``figures`` into the ``KEY=VALUE`` line; the anchor's keys start ``anchor_``."""
    prefix = "" if name == "new" else f"{name}_"
    line.update({f"{prefix}{key}": value for key, value in figures.items()})


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ranked = sorted(values)
    return ranked[min(len(ranked), max(1, math.ceil(share * len(ranked)))) - 1]
