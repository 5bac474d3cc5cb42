"""What the mirror deletes: an aggregate whose changelog has its tombstone (what comes after it in the batch is kept),
and a contraction its labour no longer holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from labour_tracker.domain.labour import BirthingPerson, Contraction, Labour, Phase
from labour_tracker.mirror.rows import Change, erasures, kept_contractions, read_change

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


def test_only_a_labour_that_lost_a_contraction_since_it_was_written_is_checked_for_deletions() -> None:
    begun = datetime(2026, 12, 7, 8, tzinfo=UTC)
    one, two = (Contraction(f"c{n}", begun + timedelta(minutes=n), None, None, None) for n in (1, 2))
    labour = Labour("l1", True, begun, None, Phase.EARLY, None, (one,), frozenset())
    person = BirthingPerson("ada", "Ada", "L", labour, (), frozenset(), 0)
    grown = replace(person, latest_labour=replace(labour, contractions=(one, two)))
    shrunk = replace(person, latest_labour=replace(labour, contractions=(two,)))

    def written_as(state: BirthingPerson | None) -> Callable[[str], BirthingPerson | None]:
        return lambda key: state

    assert kept_contractions([change("ada", 2, grown)], written_as(person)) == [[], []]  # only gained one
    assert kept_contractions([change("ada", 3, shrunk)], written_as(grown)) == [["l1"], ["c2"]]
    assert kept_contractions([change("ada", 2, grown)], written_as(None)) == [["l1"], ["c1,c2"]]  # not known here
