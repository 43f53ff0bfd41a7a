"""A week waits for its day: the ledger's rule for a chat due for both, whoever pushes.

A chat with a daily and a weekly cadence gets its day's push, then its week's, each whole.
One pusher keeps that order itself (``Push.then``); two pushers (two bot processes, a
restart, an operator's push) see each other only here. So a claim of a week's part is
refused with :attr:`Claimed.WAIT` while the chat (the same topic) has a day's push
*open*: parts claimed and not finished, or parts its rows say it has that nobody has
claimed yet, and no row that ended it (``failed``, ``deactivated``, ``migrated``,
``skipped``). The pusher that tried claims again later; nothing is dropped.

*Its day*: a push (not a correction) of a day's digest, dated from the week's Monday to
the Sunday after the week. A week is due at a slot after its Sunday's build and before
the next Sunday's, so every day whose push can come due before the week's slot is in that
range; older days' pushes were due before the week was built.

A day's push with no ledger row at all is not seen: within one run its chat's day goes
first (``Push.then``), and a pusher whose claim of the day fails has found its row.

*Its pusher died*: an open day whose newest row is older than ``stale_before`` (the
caller's bound, as for :meth:`~digest.push.ledger.Ledger.recover`) holds nothing back. A
live pusher writes a row at least once a part (claim, outcome, retry); so the week waits
at most that long after its day's pusher stopped, never for good.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ledger import Claim


class Claimed(IntEnum):
    """What a claim found. Only ``YES`` is true; ``HELD`` and ``YES`` equal the bools
    claims returned before weeks could wait (``False``, ``True``)."""

    HELD = 0  # another pusher holds the part, or it was delivered or ended
    YES = 1  # this pusher holds it: send it now
    WAIT = 2  # a week's part whose day is still being sent to the chat: claim it later

    def __bool__(self) -> bool:
        return self is Claimed.YES


# Each entry: [n, chat_id, thread_id, first day, last day]; the result: the n that wait.
_WAITING = """
SELECT json_group_array(j.n) FROM (
    SELECT json_extract(value, '$[0]') AS n, json_extract(value, '$[1]') AS chat_id,
        json_extract(value, '$[2]') AS thread_id, json_extract(value, '$[3]') AS first,
        json_extract(value, '$[4]') AS last
    FROM json_each(?)
) AS j
WHERE EXISTS (
    SELECT 1 FROM deliveries AS d
    WHERE d.chat_id = j.chat_id AND d.date BETWEEN j.first AND j.last
        AND d.thread_id = j.thread_id AND d.kind = 'push' AND substr(d.date, 5, 2) != '-W'
    GROUP BY d.date, d.version
    HAVING sum(d.status IN ('failed', 'deactivated', 'migrated', 'skipped')) = 0
        AND sum(d.status IN ('sent', 'unconfirmed')) < max(d.parts)
        AND max(d.updated_at) >= ?
)
"""


def is_week_claim(claim: Claim) -> bool:
    """A claim of a week's push part (the rule's only subject; a correction never waits)."""
    return "-W" in claim.key.date and claim.kind == "push"


def waiting(
    conn: sqlite3.Connection, claims: Sequence[tuple[int, Claim]], stale_before: str
) -> set[int]:
    """Which of the numbered week claims wait for their day (one statement for all)."""
    if not claims:
        return set()
    wanted = []
    for n, claim in claims:
        first, last = _days(claim.key.date)
        wanted.append([n, claim.key.chat_id, claim.key.thread_id, first, last])
    row = conn.execute(_WAITING, [json.dumps(wanted), stale_before]).fetchone()
    return {int(n) for n in json.loads(row[0])}


def _days(week: str) -> tuple[str, str]:
    """The first and last date of a week's days: its Monday, the Sunday after it."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return monday.isoformat(), (monday + timedelta(days=13)).isoformat()
