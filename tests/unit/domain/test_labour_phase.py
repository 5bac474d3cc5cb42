"""Stories of a labour moving from early to active to transition as its contractions grow."""

from __future__ import annotations

from datetime import timedelta

from labour_tracker.domain.labour import CompleteLabour, LabourPhaseChanged, Phase, next_phase
from tests.unit.domain.labour_story import ALICE, Story, at, in_labour, types

FIVE_MINUTES = timedelta(minutes=5)  # far enough apart that no other rule fires


def five_contractions(
    story: Story, *, first_start_minute: float, seconds: float, intensity: int
) -> list[LabourPhaseChanged]:
    events = story.regular_contractions(
        5,
        first_start=at(minutes=first_start_minute),
        every=FIVE_MINUTES,
        lasting=timedelta(seconds=seconds),
        intensity=intensity,
    )
    return [event for event in events if isinstance(event, LabourPhaseChanged)]


def test_labour_begins_in_the_early_phase() -> None:
    assert in_labour().labour.phase is Phase.EARLY


def test_five_contractions_of_intensity_six_lasting_a_minute_make_labour_active() -> None:
    story = in_labour()

    changes = five_contractions(story, first_start_minute=10, seconds=60, intensity=6)

    assert changes == [LabourPhaseChanged(ALICE, story.labour.id, Phase.EARLY, Phase.ACTIVE)]
    assert story.labour.phase is Phase.ACTIVE


def test_the_phase_change_follows_the_contraction_end_that_caused_it() -> None:
    story = in_labour()
    story.regular_contractions(
        4, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=60), intensity=6
    )

    events = story.contraction(at(minutes=30), timedelta(seconds=60), intensity=6)

    assert types(events) == ["contraction.started", "contraction.ended", "labour.phase_changed"]


def test_four_strong_contractions_are_not_enough_to_judge_the_phase() -> None:
    story = in_labour()

    story.regular_contractions(
        4, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=100), intensity=9
    )

    assert story.labour.phase is Phase.EARLY


def test_a_mean_intensity_just_under_six_keeps_labour_early() -> None:
    story = in_labour()
    story.regular_contractions(
        4, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=60), intensity=6
    )

    story.contraction(at(minutes=30), timedelta(seconds=60), intensity=5)  # mean 5.8

    assert story.labour.phase is Phase.EARLY


def test_a_mean_duration_just_under_a_minute_keeps_labour_early() -> None:
    story = in_labour()
    story.regular_contractions(
        4, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=60), intensity=7
    )

    story.contraction(at(minutes=30), timedelta(seconds=59), intensity=7)  # mean 59.8 s

    assert story.labour.phase is Phase.EARLY


def test_strong_long_contractions_move_early_labour_straight_to_transition() -> None:
    story = in_labour()

    changes = five_contractions(story, first_start_minute=10, seconds=90, intensity=8)

    assert changes == [LabourPhaseChanged(ALICE, story.labour.id, Phase.EARLY, Phase.TRANSITION)]


def test_strong_contractions_just_short_of_a_minute_and_a_half_only_make_labour_active() -> None:
    story = in_labour()

    changes = five_contractions(story, first_start_minute=10, seconds=89, intensity=8)

    assert [change.to_phase for change in changes] == [Phase.ACTIVE]


def test_long_contractions_of_mean_intensity_just_under_eight_only_make_labour_active() -> None:
    story = in_labour()
    story.regular_contractions(
        4, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=100), intensity=8
    )

    story.contraction(at(minutes=30), timedelta(seconds=100), intensity=7)  # mean 7.8

    assert story.labour.phase is Phase.ACTIVE


def test_active_labour_moves_on_to_transition_when_contractions_strengthen() -> None:
    story = in_labour()
    five_contractions(story, first_start_minute=10, seconds=60, intensity=6)

    changes = five_contractions(story, first_start_minute=40, seconds=90, intensity=9)

    assert changes == [LabourPhaseChanged(ALICE, story.labour.id, Phase.ACTIVE, Phase.TRANSITION)]


def test_only_the_last_five_ended_contractions_count() -> None:
    story = in_labour()
    story.regular_contractions(
        10, first_start=at(minutes=10), every=FIVE_MINUTES, lasting=timedelta(seconds=30), intensity=2
    )

    five_contractions(story, first_start_minute=70, seconds=60, intensity=6)

    assert story.labour.phase is Phase.ACTIVE


def test_the_phase_never_moves_backwards_when_contractions_weaken() -> None:
    story = in_labour()
    five_contractions(story, first_start_minute=10, seconds=90, intensity=8)

    changes = five_contractions(story, first_start_minute=40, seconds=60, intensity=6)
    changes += five_contractions(story, first_start_minute=70, seconds=20, intensity=1)

    assert changes == []
    assert story.labour.phase is Phase.TRANSITION


def test_staying_active_raises_no_further_phase_changes() -> None:
    story = in_labour()
    five_contractions(story, first_start_minute=10, seconds=60, intensity=6)

    changes = five_contractions(story, first_start_minute=40, seconds=60, intensity=6)

    assert changes == []


def test_completing_labour_moves_it_to_complete_from_any_phase() -> None:
    story = in_labour()
    five_contractions(story, first_start_minute=10, seconds=60, intensity=6)

    events = story.do(CompleteLabour(), now=at(minutes=60))

    assert types(events) == ["labour.completed"]
    assert story.labour.phase is Phase.COMPLETE


def test_the_phase_rule_leaves_a_labour_with_too_few_contractions_where_it_is() -> None:
    assert next_phase(in_labour().labour) is Phase.EARLY


def test_phases_are_ordered_planned_early_active_transition_complete() -> None:
    assert list(Phase) == [Phase.PLANNED, Phase.EARLY, Phase.ACTIVE, Phase.TRANSITION, Phase.COMPLETE]
    assert [phase.rank for phase in Phase] == [0, 1, 2, 3, 4]
    assert Phase.PLANNED.is_before(Phase.EARLY)
    assert Phase.EARLY.is_before(Phase.TRANSITION)
    assert not Phase.COMPLETE.is_before(Phase.TRANSITION)
    assert not Phase.ACTIVE.is_before(Phase.ACTIVE)
