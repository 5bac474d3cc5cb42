"""Stories of fixing mistakes: a contraction edited, deleted or added when missed, and the latest of those undone;
the contractions stay one after another, the phase never moves back and no alert is raised twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.labour import (
    AddContraction,
    BirthingPersonCommand,
    CompleteLabour,
    ContractionAdded,
    ContractionDeleted,
    ContractionEdited,
    DeleteContraction,
    EditContraction,
    EndContraction,
    HospitalRecommended,
    Phase,
    StartContraction,
    UndoContractionChange,
    UrgentAttentionAdvised,
    replay,
)
from labour_tracker.domain.labour.decide import UNDO_WINDOW
from tests.unit.domain.labour_story import ALICE, Story, at, in_labour, registered, types

MINUTE = timedelta(minutes=1)


def three_contractions() -> Story:
    """At 0:10, 0:20 and 0:30, a minute each, intensity 5."""
    story = in_labour()
    for start in (10, 20, 30):
        story.contraction(at(minutes=start), MINUTE)
    return story


def starts(story: Story) -> list[float]:
    return [(each.start_time - at()).total_seconds() / 60 for each in story.labour.contractions]


def test_an_edit_replaces_what_it_gives_and_keeps_the_rest() -> None:
    story = three_contractions()
    first = story.labour.contractions[0]

    events = story.do(EditContraction(first.id, intensity=8, notes="back pain"), now=at(minutes=40))

    assert events == [
        ContractionEdited(ALICE, story.labour.id, first.id, first.start_time, first.end_time, 8, "back pain",
                          at(minutes=40))
    ]  # fmt: skip
    assert (story.labour.contractions[0].intensity, story.labour.contractions[0].notes) == (8, "back pain")
    story.do(EditContraction(first.id, notes=""), now=at(minutes=41))
    assert story.labour.contractions[0].notes is None  # an empty note removes it


def test_an_edit_that_changes_nothing_makes_no_event() -> None:
    story = three_contractions()
    first = story.labour.contractions[0]
    assert story.do(EditContraction(first.id, intensity=first.intensity), now=at(minutes=40)) == []


def test_moving_a_contraction_keeps_them_in_start_order_and_refuses_an_overlap() -> None:
    story = three_contractions()
    first = story.labour.contractions[0]

    story.do(EditContraction(first.id, start_time=at(minutes=25), end_time=at(minutes=26)), now=at(minutes=40))

    assert starts(story) == [20, 25, 30]
    middle = story.labour.contractions[1]
    refusal = story.refuses(EditContraction(middle.id, end_time=at(minutes=30, seconds=30)), now=at(minutes=41))
    assert refusal.code == "contractions_overlap"


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (dict(start_time=at(minutes=-5)), "contraction_starts_before_labour"),
        (dict(end_time=at(minutes=9)), "contraction_ends_before_start"),
        (dict(end_time=at(minutes=45)), "time_in_future"),
        (dict(intensity=11), "intensity_out_of_range"),
        (dict(notes="x" * 2_001), "note_too_long"),
    ],
)
def test_an_edit_is_refused_when_the_contraction_would_break_a_rule(edit: dict[str, object], code: str) -> None:
    story = three_contractions()
    first = story.labour.contractions[0]
    assert story.refuses(EditContraction(first.id, **edit), now=at(minutes=40)).code == code  # type: ignore[arg-type]


def test_the_contraction_under_way_is_ended_not_edited_at_its_end() -> None:
    story = three_contractions()
    story.do(StartContraction(), now=at(minutes=40))
    active = story.labour.contractions[-1]

    assert story.refuses(EditContraction(active.id, end_time=at(minutes=41)), now=at(minutes=41)).code == (
        "contraction_not_ended"
    )
    story.do(EditContraction(active.id, intensity=7), now=at(minutes=41))
    assert story.labour.active_contraction is not None and story.labour.active_contraction.intensity == 7


def test_a_deleted_contraction_is_gone_and_an_unknown_one_is_not_found() -> None:
    story = three_contractions()
    middle = story.labour.contractions[1]

    assert story.do(DeleteContraction(middle.id), now=at(minutes=40)) == [
        ContractionDeleted(ALICE, story.labour.id, middle.id, at(minutes=40))
    ]
    assert starts(story) == [10, 30]
    assert story.refuses(DeleteContraction(middle.id), now=at(minutes=41)).code == "contraction_not_found"


def test_a_missed_contraction_is_added_between_the_others_but_never_over_one() -> None:
    story = three_contractions()

    [added] = story.do(AddContraction(at(minutes=15), at(minutes=16), 6, "missed it"), now=at(minutes=40))

    assert isinstance(added, ContractionAdded) and starts(story) == [10, 15, 20, 30]
    assert story.refuses(AddContraction(at(minutes=19), at(minutes=21), 6), now=at(minutes=40)).code == (
        "contractions_overlap"
    )
    assert story.refuses(AddContraction(at(minutes=41), at(minutes=43), 6), now=at(minutes=40)).code == (
        "time_in_future"
    )


def test_the_latest_change_is_undone_once_and_only_for_a_while() -> None:
    story = three_contractions()
    before = story.labour.contractions
    story.do(DeleteContraction(before[1].id), now=at(minutes=40))

    undone = story.do(UndoContractionChange(), now=at(minutes=45))

    assert story.labour.contractions == before
    assert undone[0] == ContractionEdited(
        ALICE, story.labour.id, before[1].id, before[1].start_time, before[1].end_time, 5, None, at(minutes=45),
        undo=True,
    )  # fmt: skip
    assert story.refuses(UndoContractionChange(), now=at(minutes=46)).code == "nothing_to_undo"

    story.do(AddContraction(at(minutes=35), at(minutes=36), 4), now=at(minutes=50))
    late = at(minutes=50) + UNDO_WINDOW + timedelta(seconds=1)
    assert story.refuses(UndoContractionChange(), now=late).code == "nothing_to_undo"
    story.do(UndoContractionChange(), now=at(minutes=50) + UNDO_WINDOW)
    assert story.labour.contractions == before


def test_undoing_an_edit_brings_back_the_contraction_as_it_was() -> None:
    story = three_contractions()
    before = story.labour.contractions
    story.do(EditContraction(before[2].id, at(minutes=32), at(minutes=33), intensity=9), now=at(minutes=40))

    story.do(UndoContractionChange(), now=at(minutes=41))

    assert story.labour.contractions == before


def test_a_missed_contraction_that_makes_six_in_ten_minutes_raises_urgent_attention_once() -> None:
    story = in_labour()
    for start in (0, 2, 4, 6, 8):
        story.contraction(at(minutes=start), timedelta(seconds=40))

    events = story.do(AddContraction(at(minutes=9), at(minutes=9, seconds=30), 6), now=at(minutes=12))

    assert types(events) == ["contraction.added", "labour.urgent_attention_advised"]
    story.do(DeleteContraction(story.labour.contractions[-1].id), now=at(minutes=13))
    again = story.do(AddContraction(at(minutes=9), at(minutes=9, seconds=30), 6), now=at(minutes=14))
    assert not [each for each in again if isinstance(each, UrgentAttentionAdvised)]


def test_corrections_never_move_the_phase_back_nor_take_back_a_hospital_alert() -> None:
    story = in_labour()
    story.regular_contractions(21, first_start=at(), every=timedelta(minutes=3), lasting=MINUTE, intensity=7)
    assert story.labour.phase is Phase.ACTIVE and "hospital" in story.labour.alerts

    for each in story.labour.contractions[-5:]:
        story.do(EditContraction(each.id, intensity=2), now=at(minutes=70))
    events = story.do(AddContraction(at(minutes=1, seconds=10), at(minutes=2, seconds=30), 7), now=at(minutes=70))

    assert story.labour.phase is Phase.ACTIVE
    assert not [each for each in events if isinstance(each, HospitalRecommended)]


def test_a_completed_labours_contractions_are_corrected_within_it_and_its_alerts_stay() -> None:
    story = three_contractions()
    story.do(CompleteLabour(), now=at(minutes=35))

    story.do(AddContraction(at(minutes=32), at(minutes=33), 8), now=at(minutes=50))

    assert starts(story) == [10, 20, 30, 32] and story.labour.phase is Phase.COMPLETE
    assert story.refuses(AddContraction(at(minutes=34), at(minutes=36), 8), now=at(minutes=50)).code == (
        "contraction_after_labour"
    )


def test_with_no_labour_there_is_nothing_to_correct() -> None:
    story = registered()
    assert story.refuses(DeleteContraction("any"), now=at()).code == "labour_not_found"


corrections = st.lists(
    st.tuples(
        st.sampled_from(["edit", "delete", "add", "undo", "start", "end"]),
        st.integers(0, 40),  # which contraction
        st.integers(-30, 30),  # minutes its start moves by, or where a missed one goes
        st.integers(10, 200),  # seconds it lasts
        st.integers(1, 10),  # intensity
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 25), plan=corrections)
def test_any_corrections_keep_the_contractions_in_order_and_replay_to_the_same_state(
    count: int, plan: list[tuple[str, int, int, int, int]]
) -> None:
    story = in_labour()
    story.regular_contractions(count, first_start=at(minutes=1), every=timedelta(minutes=4), lasting=MINUTE)
    now, phase = at(minutes=4 * count + 10), story.labour.phase
    for kind, pick, shift, seconds, intensity in plan:
        now += timedelta(minutes=1)
        contractions = story.labour.contractions
        chosen = contractions[pick % len(contractions)] if contractions else None
        lasting = timedelta(seconds=seconds)
        command: BirthingPersonCommand
        if kind == "edit" and chosen is not None:
            start = chosen.start_time + timedelta(minutes=shift)
            command = EditContraction(chosen.id, start, None if chosen.is_active else start + lasting, intensity)
        elif kind == "delete" and chosen is not None:
            command = DeleteContraction(chosen.id)
        elif kind == "add":
            start = now - timedelta(minutes=abs(shift) + 1)
            command = AddContraction(start, start + lasting, intensity)
        elif kind == "start":
            command = StartContraction()
        elif kind == "end":
            command = EndContraction(intensity)
        else:
            command = UndoContractionChange()
        try:
            story.do(command, now=now)
        except DomainError:
            continue
        labour = story.labour
        assert all(a.end_time is not None and a.end_time <= b.start_time for a, b in pairwise(labour.contractions))
        assert all(c.start_time >= labour.start_time for c in labour.contractions)
        assert not labour.phase.is_before(phase), "the phase never moves back"
        phase = labour.phase
    assert replay(story.events) == story.state
    alerts = Counter(
        (type(e), e.labour_id) for e in story.events if isinstance(e, HospitalRecommended | UrgentAttentionAdvised)
    )
    assert all(each == 1 for each in alerts.values()), "each alert at most once"
