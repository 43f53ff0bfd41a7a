"""/stats' reactions per digest: weeks stand at their Sunday, not after every day."""

from __future__ import annotations

from pathlib import Path

from digest import Store, reactions_by_day


def test_a_weeks_reactions_sort_at_its_sunday_among_the_days(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hd.db")
    try:
        keys = ["2026-02-14", "2026-W07", "2026-02-15", "2026-02-16", "2025-W52"]
        store.db.table("reactions").insert_all(
            {
                "chat_id": chat,
                "message_id": 10 + n,
                "actor": chat,
                "emoji": "👍",
                "count": 1,
                "date": key,
                "version": 1,
                "updated_at": "2026-02-16T10:00:00+00:00",
            }
            for n, key in enumerate(keys)
            for chat in (1, 2)
        )
        newest = [r.date for r in reactions_by_day(store)]
        assert newest == ["2026-02-16", "2026-W07", "2026-02-15", "2026-02-14", "2025-W52"]
        assert [r.date for r in reactions_by_day(store, days=2)] == ["2026-02-16", "2026-W07"]
        assert {r.chats for r in reactions_by_day(store)} == {2}
    finally:
        store.close()
