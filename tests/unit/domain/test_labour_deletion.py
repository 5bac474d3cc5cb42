"""A completed labour deleted from the person's history: the one under way cannot be, and deleting twice is once."""

from __future__ import annotations

from datetime import timedelta

from labour_tracker.domain.labour import BeginLabour, CompleteLabour, DeleteLabour, LabourDeleted, replay
from labour_tracker.domain.limits import DELETED_LABOURS_KEPT
from tests.unit.domain.labour_story import ALICE, Story, at, in_labour


def two_labours() -> tuple[Story, str, str]:
    story = in_labour()
    first = story.labour.id
    story.do(CompleteLabour(), now=at(minutes=30))
    story.do(BeginLabour(first_labour=False), now=at(minutes=40))
    return story, first, story.labour.id


def test_a_past_labour_is_deleted_and_the_mirror_is_told_which() -> None:
    story, first, second = two_labours()

    assert story.do(DeleteLabour(first)) == [LabourDeleted(ALICE, first)]

    assert story.person.past_labours == () and story.person.deleted_labours == (first,)
    assert story.labour.id == second
    assert story.do(DeleteLabour(first)) == []  # deleted already
    assert replay(story.events) == story.state


def test_the_labour_under_way_cannot_be_deleted_but_once_completed_it_can() -> None:
    story, _, second = two_labours()

    assert story.refuses(DeleteLabour(second)).code == "labour_in_progress"
    story.do(CompleteLabour(), now=at(minutes=50))
    story.do(DeleteLabour(second))
    assert story.person.latest_labour is None
    story.do(BeginLabour(first_labour=False), now=at(minutes=60))  # a new one begins as usual


def test_the_record_keeps_only_the_latest_deleted_labours() -> None:
    story = in_labour()
    for number in range(DELETED_LABOURS_KEPT + 2):
        story.do(DeleteLabour(f"old-{number}"), now=at(minutes=1) + timedelta(seconds=number))
    assert len(story.person.deleted_labours) == DELETED_LABOURS_KEPT
    assert story.person.deleted_labours[-1] == f"old-{DELETED_LABOURS_KEPT + 1}"
