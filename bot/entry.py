"""The ``hotdigest`` program's entry point: numpy kept out of its interpreter, then the CLI.

This module imports nothing of hotdigest at its top: :func:`keep_numpy_out` must run
before anything imports sqlite_utils.
"""

from __future__ import annotations

import sys


def keep_numpy_out() -> None:
    """Make ``import numpy`` fail in this interpreter, before sqlite_utils is imported.

    sqlite_utils imports numpy whenever it is installed (to map numpy's scalar types to
    column types, which hotdigest never stores), and matplotlib installs it: some 12 MB
    of a long-running bot's memory for nothing (issue 12's 100 MB, bench/memory.py).
    A ``None`` in ``sys.modules`` makes an import of that name raise ImportError (the
    import system's documented behaviour), which sqlite_utils catches. Heat charts,
    which do need numpy, are drawn in a child interpreter (``digest.render.chart_child``).
    Nothing to do when numpy is already loaded (then it is too late to save anything).
    """
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]


def main() -> None:
    """``hotdigest``: every command runs without numpy in its interpreter."""
    keep_numpy_out()
    from .cli import main as cli  # only now: it imports digest, and so sqlite_utils

    cli()
