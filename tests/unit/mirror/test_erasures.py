"""A changelog's tombstone reaches the mirror as the aggregate's erasure; what comes after it in the batch is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from labour_tracker.mirror.rows import Change, erasures, read_change

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)


def change(key: str, version: int, state: Any = "state", table: str = "birthing_persons") -> Change:
    return Change(table, key, version, state, AT, "changelog", 0, version, b"")


def test_a_tombstone_is_read_as_the_erasure_of_its_key() -> None:
    erased = read_change("subscribers", b"sam", None, AT, "x-subscribers-changelog", 2, 40)

    assert erased is not None and (erased.table, erased.key, erased.state) == ("subscribers", "sam", None)


def test_a_batch_erases_its_tombstoned_keys_and_keeps_only_what_came_after_them() -> None:
    batch = [
        change("ada", 1), change("bob", 1), change("ada", 2), change("ada", 0, None), change("ada", 1, "again"),
        change("sam", 3, table="subscribers"), change("sam", 0, None, "subscribers"),
    ]  # fmt: skip

    erased, after = erasures(batch)

    assert erased == {"birthing_persons": ["ada"], "subscribers": ["sam"]}
    assert [(each.key, each.state) for each in after] == [("bob", "state"), ("ada", "again")]
