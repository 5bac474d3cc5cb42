"""Stories of when to go to hospital: 3-1-1 for a first labour, 5-1-1 otherwise, told once per labour."""

from __future__ import annotations

from datetime import timedelta

from labour_tracker.domain.labour import (
    BeginLabour,
    BirthingPersonEvent,
    CompleteLabour,
    HospitalRecommended,
    PrepareForHospitalRecommended,
    hospital_recommended,
)
from tests.unit.domain.labour_story import ALICE, Story, at, in_labour

ONE_MINUTE = timedelta(minutes=1)
THREE_MINUTES = timedelta(minutes=3)
FIVE_MINUTES = timedelta(minutes=5)


def recommendations(events: list[BirthingPersonEvent]) -> list[BirthingPersonEvent]:
    return [event for event in events if isinstance(event, HospitalRecommended)]


def nearly_an_hour_of_3_1_1(story: Story) -> None:
    """Twenty one-minute contractions three minutes apart: from 0:00 to the last one's end at 58:00."""
    story.regular_contractions(20, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)


def test_a_first_labour_is_told_to_go_to_hospital_after_an_hour_of_3_1_1() -> None:
    story = in_labour(first_labour=True)
    nearly_an_hour_of_3_1_1(story)
    assert story.labour.alerts == {"prepare_for_hospital"}  # told to get ready half an hour in

    events = story.contraction(at(minutes=59), ONE_MINUTE)  # ends exactly an hour after the first began

    assert recommendations(events) == [HospitalRecommended(ALICE, story.labour.id)]
    assert story.labour.alerts == {"prepare_for_hospital", "hospital"}


def test_half_an_hour_of_3_1_1_says_get_ready_once_before_the_hospital_alert() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(10, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)  # to 0:28
    assert story.labour.alerts == frozenset()

    events = story.contraction(at(minutes=29), ONE_MINUTE)  # ends half an hour after the first began
    later = story.contraction(at(minutes=32), ONE_MINUTE)

    assert [type(each) for each in events if "hospital" in each.TYPE] == [PrepareForHospitalRecommended]
    assert not [each for each in later if "hospital" in each.TYPE]


def test_an_hour_of_3_1_1_says_get_ready_then_go_half_an_hour_apart() -> None:
    story = in_labour(first_labour=True)
    events = story.regular_contractions(21, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)
    kinds = [type(each) for each in events if "hospital" in each.TYPE]
    assert kinds == [PrepareForHospitalRecommended, HospitalRecommended]  # half an hour apart, in order


def test_a_run_one_second_short_of_an_hour_is_not_enough() -> None:
    story = in_labour(first_labour=True)
    nearly_an_hour_of_3_1_1(story)

    events = story.contraction(at(minutes=58, seconds=59), ONE_MINUTE)

    assert recommendations(events) == []


def test_contractions_exactly_three_minutes_apart_and_a_minute_long_count_towards_3_1_1() -> None:
    story = in_labour(first_labour=True)

    events = story.regular_contractions(21, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)

    assert len(recommendations(events)) == 1
    assert hospital_recommended(story.labour)


def test_contractions_more_than_three_minutes_apart_are_not_3_1_1() -> None:
    story = in_labour(first_labour=True)

    events = story.regular_contractions(
        20, first_start=at(minutes=0), every=THREE_MINUTES + timedelta(seconds=1), lasting=ONE_MINUTE
    )

    assert recommendations(events) == []


def test_contractions_shorter_than_a_minute_are_not_3_1_1() -> None:
    story = in_labour(first_labour=True)

    events = story.regular_contractions(
        25, first_start=at(minutes=0), every=THREE_MINUTES, lasting=timedelta(seconds=59)
    )

    assert recommendations(events) == []


def test_a_later_labour_is_told_after_an_hour_of_5_1_1() -> None:
    story = in_labour(first_labour=False)

    events = story.regular_contractions(13, first_start=at(minutes=0), every=FIVE_MINUTES, lasting=ONE_MINUTE)

    assert len(recommendations(events)) == 1
    assert isinstance(events[-1], HospitalRecommended)  # on the thirteenth, ending at 61:00


def test_a_first_labour_is_not_told_on_5_1_1() -> None:
    story = in_labour(first_labour=True)

    events = story.regular_contractions(15, first_start=at(minutes=0), every=FIVE_MINUTES, lasting=ONE_MINUTE)

    assert recommendations(events) == []


def test_a_later_labour_is_not_told_when_contractions_are_more_than_five_minutes_apart() -> None:
    story = in_labour(first_labour=False)

    events = story.regular_contractions(
        15, first_start=at(minutes=0), every=FIVE_MINUTES + timedelta(seconds=1), lasting=ONE_MINUTE
    )

    assert recommendations(events) == []


def test_one_short_contraction_restarts_the_hour() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(10, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)
    story.contraction(at(minutes=30), timedelta(seconds=45))

    before_an_hour_after_it = story.regular_contractions(
        10, first_start=at(minutes=33), every=THREE_MINUTES, lasting=ONE_MINUTE
    )
    an_hour_after_it = story.regular_contractions(
        11, first_start=at(minutes=63), every=THREE_MINUTES, lasting=ONE_MINUTE
    )

    assert recommendations(before_an_hour_after_it) == []
    assert len(recommendations(an_hour_after_it)) == 1


def test_one_long_gap_restarts_the_hour() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(15, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)

    after_the_gap = story.regular_contractions(15, first_start=at(minutes=52), every=THREE_MINUTES, lasting=ONE_MINUTE)

    assert recommendations(after_the_gap) == []


def test_the_hospital_is_recommended_only_once_per_labour() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(21, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)

    events = story.regular_contractions(10, first_start=at(minutes=63), every=THREE_MINUTES, lasting=ONE_MINUTE)

    assert recommendations(events) == []


def test_the_next_labour_can_be_told_again() -> None:
    story = in_labour(first_labour=True)
    story.regular_contractions(21, first_start=at(minutes=0), every=THREE_MINUTES, lasting=ONE_MINUTE)
    story.do(CompleteLabour(), now=at(minutes=120))
    story.do(BeginLabour(first_labour=False), now=at(minutes=1000))

    events = story.regular_contractions(13, first_start=at(minutes=1000), every=FIVE_MINUTES, lasting=ONE_MINUTE)

    assert recommendations(events) == [HospitalRecommended(ALICE, story.labour.id)]
