"""The garbage collector while pushes run: young collections made rare, as nothing is freed.

A push keeps 256 sends in flight, each holding a few dozen objects (aiohttp's request
and response, futures, the ledger's write) for its round trip. With CPython's default
threshold (a collection of the youngest generation each 700 net new objects) those live
objects are scanned, promoted, scanned again in the middle generation and promoted
again, until the oldest generation, the whole heap, is collected: measured on a
10,000-chat x 3 paid broadcast (``bench/send_path.py``'s push), 2,100 young, 190
middle and 18 full collections, 1.2-2.3 s of the push's ~8 s of CPU (0.04-0.08 ms per
message), and every one of them freed nothing: a push's objects are freed by their
reference counts. A threshold of 50,000 net new objects is never reached by the
in-flight churn (it rises and falls by a few thousand), so collections stop, while
garbage in cycles, which does count towards it, still sets one off when there are
50,000 of it (a few MB at most).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

PUSH_THRESHOLD = 50_000  # net new objects between collections of the youngest generation


class Collections:
    """Raises the youngest generation's threshold while at least one push runs; puts back
    what it found when the last one ends (pushes may overlap: the tick and /rebuild)."""

    def __init__(self, threshold: int = PUSH_THRESHOLD) -> None:
        self.threshold = threshold
        self._runs = 0
        self._found: tuple[int, int, int] | None = None

    @contextmanager
    def pushing(self) -> Iterator[None]:
        """The push inside runs with the raised threshold."""
        if self._runs == 0:
            self._found = found = gc.get_threshold()
            # Never lower it (whoever set it higher had a reason), nor turn on a collector
            # that 0 turned off.
            if 0 < found[0] < self.threshold:
                gc.set_threshold(self.threshold, *found[1:])
        self._runs += 1
        try:
            yield
        finally:
            self._runs -= 1
            if self._runs == 0 and self._found is not None:
                gc.set_threshold(*self._found)
                self._found = None
