"""A batch of ledger claims and outcomes in a fixed number of statements, whatever its size.

The bot writes the ledger on its store thread. Each statement step there lets go of the
GIL, and while the event loop is busy (a push at full speed) taking it back waits up to
Python's switch interval (5 ms): a statement per claim and per outcome made a batch of
50 wait up to a quarter of a second, and a part's claim (which must commit before it
leaves) took 30 ms measured. Here a batch is five steps: BEGIN IMMEDIATE, one read of
the rows it touches, one insert of every claim, one update of every outcome, COMMIT.

The read tells each claim's fate, as the one-by-one path's rowcount did: a claim takes
a part that has no row or whose row is ``retry``. The transaction is IMMEDIATE, so no
other pusher on the database writes between that read and the insert.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .ledger_weeks import Claimed, is_week_claim, waiting

if TYPE_CHECKING:
    from .ledger import Claim, Finish

# Each row of a batch is a JSON array: [date, version, chat_id, thread_id, part, ...].
_KEY = ("date", "version", "chat_id", "thread_id", "part")
_FIELDS = ", ".join(f"json_extract(value, '$[{n}]') AS {name}" for n, name in enumerate(_KEY))
_ON_KEY = " AND ".join(f"d.{name} = j.{name}" for name in _KEY)

_FOUND = f"""
SELECT json_group_array(json_array(j.n, d.status))
FROM (SELECT key AS n, {_FIELDS} FROM json_each(?)) AS j
JOIN deliveries AS d ON {_ON_KEY}
"""
_CLAIMS = f"""
INSERT INTO deliveries
    (date, version, chat_id, thread_id, part, parts, kind, status, attempts, updated_at)
SELECT {_FIELDS}, json_extract(value, '$[5]'), json_extract(value, '$[6]'), 'sending', 1, ?
FROM json_each(?) WHERE true
ON CONFLICT (date, version, chat_id, thread_id, part) DO UPDATE
SET status = 'sending', attempts = attempts + 1, error = NULL, updated_at = excluded.updated_at
WHERE deliveries.status = 'retry'
"""
_FINISHES = f"""
UPDATE deliveries AS d
SET status = j.status, message_id = coalesce(j.message_id, d.message_id), error = j.error,
    updated_at = ?
FROM (
    SELECT {_FIELDS}, json_extract(value, '$[5]') AS status,
        json_extract(value, '$[6]') AS message_id, json_extract(value, '$[7]') AS error
    FROM json_each(?)
) AS j
WHERE {_ON_KEY}
"""
# RETURNING-free, but UPDATE ... FROM needs 3.33 and json_each in a join 3.9.
SUPPORTED = sqlite3.sqlite_version_info >= (3, 33, 0)


def apply_batch(
    conn: sqlite3.Connection, ops: Sequence[Claim | Finish], stamp: str, stale: str | None = None
) -> list[Claimed | bool] | None:
    """Apply ``ops`` as the one-by-one path would; None when this batch needs that path.

    That path keeps its place for batches whose order matters here: a part named twice
    (``Ledger.fail``'s claim and outcome, a retry's outcome and its next claim), a week's
    claim beside another write for its chat (its day's last outcome decides whether the
    week waits), and a connection already inside a transaction. With ``stale``, week
    claims wait for their day (``ledger_weeks``).
    """
    from .ledger import Claim  # the module that calls this one defines it

    keys = [_key(op) for op in ops]
    if not SUPPORTED or conn.in_transaction or len(set(keys)) < len(keys):
        return None
    finishes: list[list[object]] = []
    claimed: dict[int, list[object]] = {}
    weeks: list[tuple[int, Claim]] = []
    for n, op in enumerate(ops):
        if isinstance(op, Claim):
            claimed[n] = [*keys[n], op.parts, op.kind]
            if stale is not None and is_week_claim(op):
                weeks.append((n, op))
        else:
            finishes.append([*keys[n], op.status, op.message_id, op.error])
    if weeks and _beside(ops, weeks):
        return None
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(_FOUND, [json.dumps(keys)]).fetchone()
        found = {int(n): status for n, status in json.loads(row[0])}
        free = [(n, op) for n, op in weeks if found.get(n, "retry") == "retry"]
        wait = waiting(conn, free, stale) if stale is not None else set()
        claims = [claim for n, claim in claimed.items() if n not in wait]
        if claims:
            conn.execute(_CLAIMS, [stamp, json.dumps(claims)])
        if finishes:
            conn.execute(_FINISHES, [stamp, json.dumps(finishes)])
    # A claim takes a part with no row or a `retry` row, unless its day holds it back;
    # an outcome changes a row found.
    return [_result(n, found, wait) if n in claimed else n in found for n in range(len(ops))]


def _beside(ops: Sequence[Claim | Finish], weeks: list[tuple[int, Claim]]) -> bool:
    """Whether a week's claim shares its chat (topic) with another write of the batch."""
    chats = Counter((op.key.chat_id, op.key.thread_id) for op in ops)
    return any(chats[op.key.chat_id, op.key.thread_id] > 1 for _, op in weeks)


def _result(n: int, found: dict[int, str], wait: set[int]) -> Claimed:
    if n in wait:
        return Claimed.WAIT
    return Claimed.YES if found.get(n, "retry") == "retry" else Claimed.HELD


def _key(op: Claim | Finish) -> tuple[str, int, int, int, int]:
    k = op.key
    return (k.date, k.version, k.chat_id, k.thread_id, k.part)
