"""Stories of a labour planned before it begins: its due date, whether it is a first labour, and its name."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    DUE_DATE_AHEAD,
    DUE_DATE_PAST,
    PERSONAL_EVENT_TYPES,
    BeginLabour,
    CancelPlan,
    CompleteLabour,
    LabourBegun,
    LabourPlan,
    LabourPlanCancelled,
    LabourPlanned,
    Phase,
    PlanLabour,
    new_id,
    replay,
)
from tests.unit.domain.labour_story import ALICE, T0, at, in_labour, registered, types

DUE = date(2025, 4, 2)  # some weeks after the story's morning


def test_planning_a_labour_keeps_the_plan_in_the_record_with_an_id_of_its_own() -> None:
    story = registered()
    command_id = story.next_command_id()

    events = story.do(PlanLabour(DUE, first_labour=True, name="Baby Moyo"))

    labour_id = new_id(ALICE, command_id)
    assert events == [LabourPlanned(ALICE, labour_id, DUE, True, "Baby Moyo")]
    assert story.person.plan == LabourPlan(labour_id, DUE, True, "Baby Moyo")
    assert story.person.plan.phase is Phase.PLANNED
    assert story.person.latest_labour is None


def test_planning_again_replaces_the_plan_and_keeps_its_labour_id() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=True, name="Baby Moyo"))
    labour_id = story.person.plan.id if story.person.plan else ""

    events = story.do(PlanLabour(DUE + timedelta(days=5), first_labour=False))

    assert events == [LabourPlanned(ALICE, labour_id, DUE + timedelta(days=5), False, None)]
    assert story.person.plan == LabourPlan(labour_id, DUE + timedelta(days=5), False, None)


def test_planning_the_same_again_changes_nothing() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=True, name="Baby Moyo"))

    assert story.do(PlanLabour(DUE, first_labour=True, name="Baby Moyo")) == []


def test_an_empty_name_is_no_name() -> None:
    story = registered()

    story.do(PlanLabour(DUE, first_labour=True, name=""))

    assert story.person.plan is not None and story.person.plan.name is None


def test_cancelling_the_plan_drops_it() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=True))
    labour_id = story.person.plan.id if story.person.plan else ""

    assert story.do(CancelPlan()) == [LabourPlanCancelled(ALICE, labour_id)]
    assert story.person.plan is None


def test_cancelling_without_a_plan_is_not_found() -> None:
    error = registered().refuses(CancelPlan())

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_beginning_a_planned_labour_begins_that_labour_with_its_name_and_first_labour() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=False, name="Baby Moyo"))
    plan = story.person.plan
    assert plan is not None

    events = story.do(BeginLabour(), now=at(minutes=5))

    assert events == [LabourBegun(ALICE, plan.id, False, at(minutes=5), begun_at=at(minutes=5), name="Baby Moyo")]
    assert story.labour.id == plan.id
    assert story.labour.name == "Baby Moyo"
    assert story.labour.first_labour is False
    assert story.person.plan is None


def test_first_labour_given_at_the_beginning_outweighs_the_plans() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=False))

    story.do(BeginLabour(first_labour=True))

    assert story.labour.first_labour is True


def test_beginning_without_a_plan_needs_first_labour() -> None:
    story = registered()

    error = story.refuses(BeginLabour())

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "first_labour_required")


def test_beginning_without_a_plan_begins_a_labour_without_a_name() -> None:
    story = registered()

    story.do(BeginLabour(first_labour=True))

    assert story.labour.name is None


def test_planning_while_a_labour_is_under_way_is_refused() -> None:
    story = in_labour()

    error = story.refuses(PlanLabour(DUE, first_labour=True))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "labour_already_active")


def test_the_next_labour_may_be_planned_once_one_is_complete() -> None:
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=60))

    story.do(PlanLabour(DUE, first_labour=False, name="Second"))
    story.do(BeginLabour(), now=at(minutes=90))

    assert story.labour.name == "Second"
    assert [each.id for each in story.person.past_labours] != [story.labour.id]
    assert len(story.person.past_labours) == 1


@pytest.mark.parametrize(
    "due_date",
    [T0.date() + DUE_DATE_AHEAD, T0.date() - DUE_DATE_PAST, T0.date()],
    ids=["furthest ahead", "longest past", "today"],
)
def test_a_due_date_within_its_bounds_is_taken(due_date: date) -> None:
    story = registered()

    story.do(PlanLabour(due_date, first_labour=True), now=T0)

    assert story.person.plan is not None and story.person.plan.due_date == due_date


@pytest.mark.parametrize(
    "due_date",
    [T0.date() + DUE_DATE_AHEAD + timedelta(days=1), T0.date() - DUE_DATE_PAST - timedelta(days=1), date.min],
    ids=["too far ahead", "too long past", "year one"],
)
def test_a_due_date_beyond_its_bounds_is_refused(due_date: date) -> None:
    error = registered().refuses(PlanLabour(due_date, first_labour=True), now=T0)

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "due_date_out_of_range")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("x" * 101, "name_too_long"),
        ("Baby\nMoyo", "name_not_text"),
        ("Baby\tMoyo", "name_not_text"),
        ("Baby\x00", "name_not_text"),
        ("Baby\x85", "name_not_text"),
        ("\ud800", "name_not_text"),
    ],
)
def test_a_name_is_one_line_of_text_up_to_100_characters(name: str, code: str) -> None:
    error = registered().refuses(PlanLabour(DUE, first_labour=True, name=name))

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, code)


def test_a_name_of_100_characters_of_any_script_is_taken() -> None:
    story = registered()

    story.do(PlanLabour(DUE, first_labour=True, name="\N{BABY}" * 100))

    assert story.person.plan is not None and story.person.plan.name == "\N{BABY}" * 100


def test_a_plan_is_personal_and_its_cancelling_carries_ids_only() -> None:
    assert "labour.planned" in PERSONAL_EVENT_TYPES
    assert "labour.plan_cancelled" not in PERSONAL_EVENT_TYPES


def test_replaying_a_planned_labour_rebuilds_the_person() -> None:
    story = registered()
    story.do(PlanLabour(DUE, first_labour=True, name="Baby Moyo"))
    story.do(PlanLabour(DUE, first_labour=False, name="Baby Moyo"))
    story.do(CancelPlan())
    story.do(PlanLabour(DUE, first_labour=True, name="Little one"))
    story.do(BeginLabour(), now=at(minutes=1))

    assert types(story.events)[-2:] == ["labour.planned", "labour.begun"]
    assert replay(story.events) == story.person
