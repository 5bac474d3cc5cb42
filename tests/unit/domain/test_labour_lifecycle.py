"""Stories of a labour beginning and completing, and of the times a client may give for them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    MAX_CLOCK_SKEW,
    BeginLabour,
    CompleteLabour,
    EndContraction,
    Labour,
    LabourBegun,
    LabourCompleted,
    Phase,
    StartContraction,
    new_id,
)
from tests.unit.domain.labour_story import ALICE, T0, at, in_labour, registered, types


def test_beginning_labour_starts_an_early_labour_now_with_an_id_derived_from_the_command() -> None:
    story = registered()
    command_id = story.next_command_id()

    events = story.do(BeginLabour(first_labour=True), now=at(minutes=5))

    labour_id = new_id(ALICE, command_id)
    assert events == [LabourBegun(ALICE, labour_id, True, at(minutes=5), begun_at=at(minutes=5))]
    assert story.person.active_labour == Labour(
        id=labour_id,
        first_labour=True,
        start_time=at(minutes=5),
        end_time=None,
        phase=Phase.EARLY,
        notes=None,
        contractions=(),
        alerts=frozenset(),
    )


def test_labour_can_be_back_dated_to_when_it_really_began() -> None:
    story = registered()

    story.do(BeginLabour(first_labour=False, start_time=at(minutes=-90)), now=T0)

    assert story.labour.start_time == at(minutes=-90)
    assert story.labour.first_labour is False


def test_beginning_labour_while_one_is_under_way_is_invalid() -> None:
    story = in_labour()

    error = story.refuses(BeginLabour(first_labour=True), now=at(minutes=1))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "labour_already_active")


def test_a_labour_can_begin_again_after_the_last_one_completed() -> None:
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=60))

    story.do(BeginLabour(first_labour=False), now=at(minutes=600))

    (past,) = story.person.past_labours
    assert story.person.active_labour == story.person.latest_labour
    assert past.end_time == at(minutes=60) and past.id != story.labour.id


def test_a_time_up_to_the_allowed_clock_skew_ahead_is_accepted() -> None:
    story = registered()

    story.do(BeginLabour(first_labour=True, start_time=T0 + MAX_CLOCK_SKEW), now=T0)

    assert story.labour.start_time == T0 + MAX_CLOCK_SKEW


def test_a_time_further_in_the_future_than_the_clock_skew_is_invalid() -> None:
    story = registered()

    error = story.refuses(
        BeginLabour(first_labour=True, start_time=T0 + MAX_CLOCK_SKEW + timedelta(microseconds=1)), now=T0
    )

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_in_future")


def test_a_time_without_a_timezone_is_invalid() -> None:
    story = registered()

    error = story.refuses(BeginLabour(first_labour=True, start_time=datetime(2025, 3, 14, 5, 0)), now=T0)

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_without_timezone")


def test_a_time_given_in_another_timezone_is_kept_in_utc() -> None:
    story = registered()
    new_york = timezone(timedelta(hours=-5))

    story.do(BeginLabour(first_labour=True, start_time=datetime(2025, 3, 14, 0, 30, tzinfo=new_york)), now=T0)

    assert story.labour.start_time == at(minutes=-30)
    assert story.labour.start_time.utcoffset() == timedelta(0)


def test_the_server_clock_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        registered().do(BeginLabour(first_labour=True), now=datetime(2025, 3, 14, 6, 0))


def test_completing_labour_ends_it_in_the_complete_phase_without_a_separate_phase_event() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(seconds=50))

    events = story.do(CompleteLabour(notes="A healthy girl"), now=at(minutes=120))

    assert events == [LabourCompleted(ALICE, story.labour.id, at(minutes=120), "A healthy girl")]
    assert story.labour.end_time == at(minutes=120)
    assert story.labour.phase is Phase.COMPLETE
    assert story.labour.notes == "A healthy girl"
    assert story.person.active_labour is None


def test_completing_labour_without_notes_leaves_it_without_notes() -> None:
    story = in_labour()

    story.do(CompleteLabour(end_time=at(minutes=30)), now=at(minutes=45))

    assert story.labour.notes is None
    assert story.labour.end_time == at(minutes=30)


def test_completing_when_no_labour_has_begun_is_not_found() -> None:
    error = registered().refuses(CompleteLabour())

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_completing_a_labour_twice_is_not_found_the_second_time() -> None:
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=30))

    error = story.refuses(CompleteLabour(), now=at(minutes=31))

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_completing_labour_during_a_contraction_is_invalid() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(CompleteLabour(), now=at(minutes=11))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_in_progress")


def test_labour_cannot_complete_before_it_began() -> None:
    story = in_labour(now=at(minutes=10))

    error = story.refuses(CompleteLabour(end_time=at(minutes=9, seconds=59)), now=at(minutes=20))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "labour_ends_before_start")


def test_labour_cannot_complete_before_its_last_contraction_ended() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(seconds=60))

    error = story.refuses(CompleteLabour(end_time=at(minutes=10, seconds=59)), now=at(minutes=20))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "labour_ends_before_last_contraction")


def test_labour_may_complete_the_moment_its_last_contraction_ends() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(seconds=60))

    story.do(CompleteLabour(end_time=at(minutes=11)), now=at(minutes=20))

    assert story.labour.end_time == at(minutes=11)


def test_labour_cannot_complete_in_the_future() -> None:
    story = in_labour()

    error = story.refuses(CompleteLabour(end_time=at(minutes=10)), now=at(minutes=5))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_in_future")


def test_a_retried_command_derives_the_same_ids_and_events() -> None:
    first, second = registered(), registered()

    assert first.do(BeginLabour(first_labour=True)) == second.do(BeginLabour(first_labour=True))
    assert new_id(ALICE, "command-1") != new_id("bob-sub", "command-1")


def test_a_command_id_reused_for_a_second_labour_is_refused_rather_than_duplicating_the_labour() -> None:
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=30))
    story.commands_sent = 1  # the next command reuses the id that began the first labour

    error = story.refuses(BeginLabour(first_labour=True), now=at(minutes=40))

    assert (error.kind, error.code) == (ErrorKind.CONFLICT, "command_already_applied")


def test_a_whole_labour_reads_as_its_events() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(seconds=45))
    story.do(StartContraction(intensity=4), now=at(minutes=20))
    story.do(EndContraction(intensity=6), now=at(minutes=21))
    story.do(CompleteLabour(), now=at(minutes=60))

    assert types(story.events) == [
        "birthing_person.registered",
        "labour.begun",
        "contraction.started",
        "contraction.ended",
        "contraction.started",
        "contraction.ended",
        "labour.completed",
    ]
