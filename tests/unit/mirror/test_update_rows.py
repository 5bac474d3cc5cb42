"""What the mirror writes of a labour's updates: those new or changed since the person was last written, and the
ids to keep of a labour that lost one (its deleted updates leave the mirror)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from labour_tracker.domain.labour import BirthingPerson, Labour, LabourUpdate, Moment, Phase, UpdateKind
from labour_tracker.mirror.rows import Change, kept_updates, update_rows

BEGUN = datetime(2026, 12, 7, 8, tzinfo=UTC)
NEWS = LabourUpdate("u1", UpdateKind.ANNOUNCEMENT, "on our way", "ada", BEGUN + timedelta(minutes=1))
NOTE = LabourUpdate("u2", UpdateKind.PRIVATE_NOTE, "nul\x00here", "ada", BEGUN + timedelta(minutes=2))
QUICK = LabourUpdate("u3", UpdateKind.ANNOUNCEMENT, None, "ada", BEGUN + timedelta(minutes=3), moment=Moment.BABY_BORN)


def person(*updates: LabourUpdate) -> BirthingPerson:
    labour = Labour("l1", True, BEGUN, None, Phase.EARLY, None, (), frozenset(), updates=updates)
    return BirthingPerson("ada", "Ada", "L", labour, (), frozenset(), 0)


def change(version: int, state: BirthingPerson) -> Change:
    return Change("birthing_persons", "ada", version, state, BEGUN, "changelog", 0, version, b"")


def written_as(state: BirthingPerson | None) -> Callable[[str], BirthingPerson | None]:
    return lambda key: state


def test_every_update_of_a_person_not_written_here_is_written_as_a_row() -> None:
    rows = update_rows([change(4, person(NEWS, NOTE, QUICK))], written_as(None))

    assert rows == [
        ["u1", "u2", "u3"],
        ["l1", "l1", "l1"],
        ["announcement", "private_note", "announcement"],
        ["on our way", "nul\ufffdhere", None],  # PostgreSQL text holds no NUL
        [None, None, "baby_born"],
        ["ada", "ada", "ada"],
        [NEWS.posted_at, NOTE.posted_at, QUICK.posted_at],
        [None, None, None],
        [4, 4, 4],
    ]


def test_only_the_updates_posted_or_edited_since_the_last_write_are_written() -> None:
    before = person(NEWS, NOTE)
    edited = replace(NOTE, message="calmer", edited_at=BEGUN + timedelta(minutes=9))

    rows = update_rows([change(7, person(NEWS, edited, QUICK))], written_as(before))

    assert rows[0] == ["u2", "u3"] and rows[3] == ["calmer", None] and rows[7] == [edited.edited_at, None]
    assert update_rows([change(8, before)], written_as(before)) == [[] for _ in range(9)]


def test_only_a_labour_that_lost_an_update_is_given_the_ids_to_keep() -> None:
    before = person(NEWS, NOTE)

    assert kept_updates([change(5, person(NEWS, NOTE, QUICK))], written_as(before)) == [[], []]  # only gained one
    assert kept_updates([change(6, person(NOTE))], written_as(before)) == [["l1"], ["u2"]]
    assert kept_updates([change(6, person())], written_as(before)) == [["l1"], [""]]  # the last one deleted
    assert kept_updates([change(5, before)], written_as(None)) == [["l1"], ["u1,u2"]]  # not known here
