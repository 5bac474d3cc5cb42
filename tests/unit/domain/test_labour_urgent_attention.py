"""Stories of contractions that need urgent attention: one too long, or too many too close, told once."""

from __future__ import annotations

from datetime import timedelta

from labour_tracker.domain.labour import (
    BeginLabour,
    BirthingPersonEvent,
    CompleteLabour,
    EndContraction,
    StartContraction,
    UrgentAttentionAdvised,
    UrgentReason,
    urgent_attention_reason,
)
from tests.unit.domain.labour_story import ALICE, at, in_labour, types

TWO_MINUTES = timedelta(minutes=2)
THIRTY_SECONDS = timedelta(seconds=30)


def advice(events: list[BirthingPersonEvent]) -> list[BirthingPersonEvent]:
    return [event for event in events if isinstance(event, UrgentAttentionAdvised)]


def test_a_contraction_lasting_longer_than_two_minutes_needs_urgent_attention() -> None:
    story = in_labour()

    events = story.contraction(at(minutes=10), TWO_MINUTES + timedelta(seconds=1))

    assert types(events) == ["contraction.started", "contraction.ended", "labour.urgent_attention_advised"]
    assert events[-1] == UrgentAttentionAdvised(ALICE, story.labour.id, UrgentReason.LONG_CONTRACTION)
    assert story.labour.alerts == {"urgent_attention"}


def test_a_contraction_of_exactly_two_minutes_does_not() -> None:
    story = in_labour()

    events = story.contraction(at(minutes=10), TWO_MINUTES)

    assert advice(events) == []


def test_a_sixth_contraction_starting_within_ten_minutes_needs_urgent_attention_as_it_starts() -> None:
    story = in_labour()
    story.regular_contractions(5, first_start=at(minutes=0), every=TWO_MINUTES, lasting=THIRTY_SECONDS)

    events = story.do(StartContraction(), now=at(minutes=10))  # starts at 0, 2, 4, 6, 8, 10

    assert types(events) == ["contraction.started", "labour.urgent_attention_advised"]
    assert events[-1] == UrgentAttentionAdvised(ALICE, story.labour.id, UrgentReason.FREQUENT_CONTRACTIONS)


def test_six_contractions_spread_over_just_more_than_ten_minutes_do_not() -> None:
    story = in_labour()
    story.regular_contractions(5, first_start=at(minutes=0), every=TWO_MINUTES, lasting=THIRTY_SECONDS)

    events = story.do(StartContraction(), now=at(minutes=10, seconds=1))
    events += story.do(EndContraction(intensity=5), now=at(minutes=10, seconds=31))

    assert advice(events) == []


def test_five_contractions_within_ten_minutes_do_not() -> None:
    story = in_labour()

    events = story.regular_contractions(
        5, first_start=at(minutes=0), every=timedelta(minutes=1), lasting=THIRTY_SECONDS
    )

    assert advice(events) == []


def test_any_ten_minute_window_counts_not_only_the_first() -> None:
    story = in_labour()
    story.regular_contractions(4, first_start=at(minutes=0), every=timedelta(minutes=5), lasting=THIRTY_SECONDS)

    events = story.regular_contractions(6, first_start=at(minutes=30), every=TWO_MINUTES, lasting=THIRTY_SECONDS)

    assert len(advice(events)) == 1


def test_urgent_attention_is_advised_only_once_per_labour() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(minutes=3))

    events = story.contraction(at(minutes=20), timedelta(minutes=3))
    events += story.regular_contractions(6, first_start=at(minutes=30), every=TWO_MINUTES, lasting=THIRTY_SECONDS)

    assert advice(events) == []
    assert urgent_attention_reason(story.labour) is UrgentReason.LONG_CONTRACTION


def test_the_next_labour_can_be_advised_again() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(minutes=3))
    story.do(CompleteLabour(), now=at(minutes=60))
    story.do(BeginLabour(first_labour=False), now=at(minutes=600))

    events = story.contraction(at(minutes=610), timedelta(minutes=3))

    assert advice(events) == [UrgentAttentionAdvised(ALICE, story.labour.id, UrgentReason.LONG_CONTRACTION)]


def test_a_contraction_can_move_the_phase_recommend_hospital_and_need_urgent_attention_in_that_order() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(
        20, first_start=at(minutes=0), every=timedelta(minutes=3), lasting=timedelta(minutes=1), intensity=5
    )

    # With four at 5, a 10 makes the mean 6 (active); it ends 61 min after the run began; it lasts > 2 min.
    events = story.contraction(at(minutes=59), TWO_MINUTES + timedelta(seconds=1), intensity=10)

    assert types(events) == [
        "contraction.started",
        "contraction.ended",
        "labour.phase_changed",
        "labour.hospital_recommended",
        "labour.urgent_attention_advised",
    ]
