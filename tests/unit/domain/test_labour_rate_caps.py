"""Labours begun in a day are capped by the service's clock: each one (and its completion) texts every subscriber."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.labour import BeginLabour, CompleteLabour, LabourBegun, evolve
from labour_tracker.domain.limits import DAY, LABOURS_BEGUN_KEPT, Rate
from tests.unit.domain.labour_story import ALICE, T0, Story, at, registered


def begin_and_complete(story: Story, minutes: float, start_time: datetime | None = None) -> None:
    story.do(BeginLabour(first_labour=False, start_time=start_time), now=at(minutes=minutes))
    story.do(CompleteLabour(), now=at(minutes=minutes + 1))


def test_a_fourth_labour_in_a_day_is_refused_until_the_first_is_a_day_old() -> None:
    story = registered(labours_per_day=3)
    for minutes in (0, 10, 20):
        begin_and_complete(story, minutes)

    refusal = story.refuses(BeginLabour(first_labour=False), now=at(minutes=30))

    assert (refusal.kind, refusal.code) == (ErrorKind.TOO_MANY, "labours_per_day_reached")
    assert refusal.retry_after == int((DAY - timedelta(minutes=30)).total_seconds())
    assert story.do(BeginLabour(first_labour=False), now=T0 + DAY + timedelta(seconds=1))


def test_a_start_time_given_earlier_does_not_escape_the_cap() -> None:
    story = registered(labours_per_day=2)
    long_ago = T0 - timedelta(days=30)
    begin_and_complete(story, 0, long_ago)
    begin_and_complete(story, 5, long_ago + timedelta(hours=1))

    assert story.refuses(BeginLabour(first_labour=False), now=at(minutes=10)).code == "labours_per_day_reached"


def test_no_cap_when_it_is_zero() -> None:
    story = registered(labours_per_day=0)
    for minutes in range(0, 100, 5):
        begin_and_complete(story, minutes)
    assert len(story.person.labours_begun) == 20 and story.person.active_labour is None


def test_a_person_keeps_the_times_of_the_latest_labours_begun_only() -> None:
    story = registered(labours_per_day=0)
    for minutes in range(0, 5 * (LABOURS_BEGUN_KEPT + 6), 5):
        begin_and_complete(story, minutes)
    assert len(story.person.labours_begun) == LABOURS_BEGUN_KEPT
    assert story.person.labours_begun[-1] == at(minutes=5 * (LABOURS_BEGUN_KEPT + 5))


def test_a_labour_begun_before_the_service_said_when_counts_from_its_start() -> None:
    person = registered().person
    older = evolve(person, LabourBegun(ALICE, "l-old", True, at(minutes=3)))  # an event written before `begun_at`
    assert older.labours_begun == (at(minutes=3),)


@pytest.mark.parametrize("times", [(), (T0,)])
def test_a_rate_allows_up_to_its_maximum_within_its_window(times: tuple[datetime, ...]) -> None:
    Rate("x_reached", 2, timedelta(hours=1), "things in an hour").check(times, T0 + timedelta(minutes=59))


def test_a_rate_refuses_past_its_maximum_until_the_oldest_leaves_the_window() -> None:
    rate = Rate("x_reached", 2, timedelta(hours=1), "things in an hour")
    with pytest.raises(DomainError) as refused:
        rate.check((T0, T0 + timedelta(minutes=1)), T0 + timedelta(minutes=59))
    assert (refused.value.code, refused.value.retry_after) == ("x_reached", 60)
    rate.check((T0, T0 + timedelta(minutes=1)), T0 + timedelta(hours=1))
