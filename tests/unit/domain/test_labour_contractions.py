"""Stories of contractions being started and ended during a labour, and of the times and intensities given."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    MAX_CLOCK_SKEW,
    CompleteLabour,
    Contraction,
    ContractionEnded,
    ContractionStarted,
    EndContraction,
    StartContraction,
    new_id,
)
from tests.unit.domain.labour_story import ALICE, at, in_labour, registered


def test_starting_a_contraction_records_it_as_under_way_with_an_id_derived_from_the_command() -> None:
    story = in_labour()
    command_id = story.next_command_id()

    events = story.do(StartContraction(intensity=3, notes="back pain"), now=at(minutes=10))

    contraction_id = new_id(ALICE, command_id)
    assert events == [ContractionStarted(ALICE, story.labour.id, contraction_id, at(minutes=10), 3, "back pain")]
    assert story.labour.active_contraction == Contraction(contraction_id, at(minutes=10), None, 3, "back pain")
    assert story.labour.ended_contractions == ()


def test_a_contraction_may_start_without_intensity_or_notes() -> None:
    story = in_labour()
    command_id = story.next_command_id()

    story.do(StartContraction(), now=at(minutes=10))

    assert story.labour.active_contraction == Contraction(new_id(ALICE, command_id), at(minutes=10), None, None, None)


def test_ending_a_contraction_records_its_end_and_intensity() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))
    contraction_id = story.labour.contractions[0].id

    events = story.do(EndContraction(intensity=6), now=at(minutes=11))

    assert events == [ContractionEnded(ALICE, story.labour.id, contraction_id, at(minutes=11), 6, None)]
    assert story.labour.active_contraction is None
    assert story.labour.ended_contractions == (Contraction(contraction_id, at(minutes=10), at(minutes=11), 6, None),)


def test_the_intensity_given_at_the_end_replaces_the_one_given_at_the_start() -> None:
    story = in_labour()
    story.do(StartContraction(intensity=3), now=at(minutes=10))

    story.do(EndContraction(intensity=7), now=at(minutes=11))

    assert story.labour.contractions[0].intensity == 7


def test_notes_given_at_the_end_win_over_those_given_at_the_start() -> None:
    story = in_labour()
    story.do(StartContraction(notes="mild"), now=at(minutes=10))

    story.do(EndContraction(intensity=5, notes="stronger than expected"), now=at(minutes=11))

    assert story.labour.contractions[0].notes == "stronger than expected"


def test_notes_given_at_the_start_are_kept_when_none_are_given_at_the_end() -> None:
    story = in_labour()
    story.do(StartContraction(notes="mild"), now=at(minutes=10))

    story.do(EndContraction(intensity=5), now=at(minutes=11))

    assert story.labour.contractions[0].notes == "mild"


def test_contractions_may_be_logged_after_the_fact_with_their_own_times() -> None:
    story = in_labour()

    story.do(StartContraction(start_time=at(minutes=10)), now=at(minutes=30))
    story.do(EndContraction(intensity=4, end_time=at(minutes=11)), now=at(minutes=30))

    assert story.labour.contractions[0].duration == timedelta(minutes=1)


def test_starting_a_contraction_with_no_labour_under_way_is_not_found() -> None:
    error = registered().refuses(StartContraction())

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_starting_a_contraction_after_labour_completed_is_not_found() -> None:
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=30))

    error = story.refuses(StartContraction(), now=at(minutes=40))

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_starting_a_contraction_while_one_is_under_way_is_invalid() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(StartContraction(), now=at(minutes=11))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_already_active")


def test_a_contraction_cannot_start_before_the_labour_began() -> None:
    story = in_labour(now=at(minutes=10))

    error = story.refuses(StartContraction(start_time=at(minutes=9, seconds=59)), now=at(minutes=20))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_starts_before_labour")


def test_a_contraction_may_start_the_moment_labour_began() -> None:
    story = in_labour(now=at(minutes=10))

    story.do(StartContraction(start_time=at(minutes=10)), now=at(minutes=20))

    assert story.labour.contractions[0].start_time == at(minutes=10)


def test_a_contraction_cannot_start_before_the_previous_one_ended() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(minutes=1))

    error = story.refuses(StartContraction(start_time=at(minutes=10, seconds=59)), now=at(minutes=20))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_starts_before_previous_ended")


def test_a_contraction_may_start_the_moment_the_previous_one_ended() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(minutes=1))

    story.do(StartContraction(start_time=at(minutes=11)), now=at(minutes=20))

    assert story.labour.contractions[1].start_time == at(minutes=11)


def test_a_contraction_cannot_start_in_the_future() -> None:
    story = in_labour()

    error = story.refuses(
        StartContraction(start_time=at(minutes=10) + MAX_CLOCK_SKEW + timedelta(seconds=1)),
        now=at(minutes=10),
    )

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_in_future")


def test_a_contraction_start_without_a_timezone_is_invalid() -> None:
    story = in_labour()

    error = story.refuses(StartContraction(start_time=datetime(2025, 3, 14, 6, 5)), now=at(minutes=10))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_without_timezone")


def test_ending_a_contraction_when_none_is_under_way_is_invalid() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(minutes=1))

    error = story.refuses(EndContraction(intensity=5), now=at(minutes=12))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_not_active")


def test_ending_a_contraction_with_no_labour_under_way_is_not_found() -> None:
    error = registered().refuses(EndContraction(intensity=5))

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


@pytest.mark.parametrize("end", [at(minutes=9, seconds=59), at(minutes=10)], ids=["before", "same-moment"])
def test_a_contraction_must_end_after_it_started(end: datetime) -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(EndContraction(intensity=5, end_time=end), now=at(minutes=11))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_ends_before_start")


def test_a_contraction_may_end_the_smallest_moment_after_it_started() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    story.do(EndContraction(intensity=5, end_time=at(minutes=10) + timedelta(microseconds=1)), now=at(minutes=11))

    assert story.labour.contractions[0].duration == timedelta(microseconds=1)


def test_a_contraction_cannot_end_in_the_future() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(EndContraction(intensity=5, end_time=at(minutes=12)), now=at(minutes=10, seconds=30))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_in_future")


def test_a_contraction_end_without_a_timezone_is_invalid() -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(EndContraction(intensity=5, end_time=datetime(2025, 3, 14, 6, 11)), now=at(minutes=12))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "time_without_timezone")


@pytest.mark.parametrize("intensity", [0, 11, -3])
def test_an_intensity_outside_one_to_ten_cannot_be_processed_at_the_start(intensity: int) -> None:
    story = in_labour()

    error = story.refuses(StartContraction(intensity=intensity), now=at(minutes=10))

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "intensity_out_of_range")


@pytest.mark.parametrize("intensity", [0, 11])
def test_an_intensity_outside_one_to_ten_cannot_be_processed_at_the_end(intensity: int) -> None:
    story = in_labour()
    story.do(StartContraction(), now=at(minutes=10))

    error = story.refuses(EndContraction(intensity=intensity), now=at(minutes=11))

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "intensity_out_of_range")


@pytest.mark.parametrize("intensity", [1, 10])
def test_intensities_one_and_ten_are_accepted(intensity: int) -> None:
    story = in_labour()

    story.do(StartContraction(intensity=intensity), now=at(minutes=10))
    story.do(EndContraction(intensity=intensity), now=at(minutes=11))

    assert story.labour.contractions[0].intensity == intensity
