"""The API's views of domain state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain.labour import (
    Alert,
    Contraction,
    Labour,
    LabourUpdate,
    Moment,
    Phase,
    UpdateKind,
    pattern,
)
from labour_tracker.http.schemas import (
    ContractionView,
    LabourResponse,
    LabourSummaryView,
    LabourUpdateView,
    LabourView,
    PatternView,
    labour_response_json,
)

STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_contraction_view_shows_the_contraction_as_it_is_now_not_as_it_was_first_seen() -> None:
    under_way = Contraction("c-1", STARTED, None, None, None)
    ended = replace(under_way, end_time=STARTED + timedelta(seconds=75), intensity=6, notes="strong")

    assert ContractionView.of(under_way).duration_seconds is None
    view = ContractionView.of(ended)

    assert (view.end_time, view.duration_seconds, view.intensity, view.notes) == (
        STARTED + timedelta(seconds=75),
        75.0,
        6,
        "strong",
    )
    assert ContractionView.of(under_way).end_time is None


def test_equal_contractions_have_equal_views() -> None:
    one = Contraction("c-2", STARTED, STARTED + timedelta(seconds=40), 3, None)
    assert ContractionView.of(one) == ContractionView.of(replace(one)) == ContractionView.model_validate(one)


def by_pydantic(found: Labour, now: datetime) -> bytes:
    """The answer as its schema's models write it, to hold the quicker one to."""
    view = LabourView(
        id=found.id,
        first_labour=found.first_labour,
        name=found.name,
        start_time=found.start_time,
        end_time=found.end_time,
        phase=found.phase,
        notes=found.notes,
        alerts=sorted(found.alerts),
        contractions=[ContractionView.of(each) for each in found.contractions],
        pattern=PatternView.of(pattern(found, now)),
        updates=[LabourUpdateView.of(each) for each in found.updates],
    )
    return LabourResponse(labour=view).model_dump_json().encode()


def test_a_labour_answer_is_the_json_its_schema_describes_field_for_field() -> None:
    contractions = tuple(
        Contraction(f"c-{n}", STARTED + timedelta(minutes=7 * n, microseconds=n), None, None, None)
        if n == 4
        else Contraction(
            f"c-{n}",
            STARTED + timedelta(minutes=7 * n, microseconds=n),
            STARTED + timedelta(minutes=7 * n, seconds=40 + n),
            n % 3 or None,
            'ça tire \u2014 "fort"' if n == 2 else None,
        )
        for n in range(5)
    )
    found = Labour(
        "l-1",
        True,
        STARTED,
        None,
        Phase.ACTIVE,
        "calme",
        contractions,
        frozenset({Alert.URGENT_ATTENTION, Alert.HOSPITAL}),
        name="Baby \N{BABY}",
        updates=UPDATES,
    )
    now = STARTED + timedelta(minutes=40)

    assert labour_response_json(found, now) == by_pydantic(found, now)


UPDATES = (
    LabourUpdate(
        "u-1", UpdateKind.ANNOUNCEMENT, 'On our way \u2014 "soon"', "alice", STARTED + timedelta(microseconds=7)
    ),
    LabourUpdate("u-2", UpdateKind.PRIVATE_NOTE, "scared", "alice", STARTED, STARTED + timedelta(minutes=1)),
    LabourUpdate("u-3", UpdateKind.ANNOUNCEMENT, None, "alice", STARTED, moment=Moment.WATERS_BROKEN),
    LabourUpdate("u-4", UpdateKind.STATUS_UPDATE, "resting", "alice", STARTED),
)


def test_a_follower_is_answered_without_the_private_notes_and_the_person_with_all() -> None:
    found = Labour("l-9", True, STARTED, None, Phase.EARLY, None, (), frozenset(), updates=UPDATES)
    now = STARTED + timedelta(minutes=5)

    mine = LabourResponse.model_validate_json(labour_response_json(found, now)).labour.updates
    theirs = LabourResponse.model_validate_json(labour_response_json(found, now, follower=True)).labour.updates

    assert [each.id for each in mine] == ["u-1", "u-2", "u-3", "u-4"]
    assert [each.id for each in theirs] == ["u-1", "u-3", "u-4"]
    assert theirs[1].moment is Moment.WATERS_BROKEN and theirs[1].message is None


# What a command does to a labour's contractions: start one, end the latest, amend the latest, or (another labour
# under the same id, or one read back from storage) replace them all.
changes = st.sampled_from(["start", "end", "amend", "replace all", "copy"])


@given(st.lists(st.tuples(st.sampled_from(["l-1", "l-2"]), changes), max_size=40))
def test_each_answer_and_summary_of_a_changing_labour_shows_it_as_its_schema_does(
    steps: list[tuple[str, str]],
) -> None:
    labours = {
        labour_id: Labour(labour_id, True, STARTED, None, Phase.EARLY, None, (), frozenset())
        for labour_id in ("l-1", "l-2")
    }
    clock = STARTED
    for n, (labour_id, change) in enumerate(steps):
        found, clock = labours[labour_id], clock + timedelta(seconds=30, microseconds=n)
        contractions, latest = found.contractions, found.contractions[-1:]
        if change == "start" and not (latest and latest[0].end_time is None):
            contractions += (Contraction(f"c-{n}", clock, None, n % 10 + 1, None),)
        elif change == "end" and latest and latest[0].end_time is None:
            contractions = (*contractions[:-1], replace(latest[0], end_time=clock, intensity=7, notes=f"n{n}"))
        elif change == "amend" and latest:
            contractions = (*contractions[:-1], replace(latest[0], notes=f"amended {n}"))
        elif change == "replace all":
            contractions = tuple(replace(each, id=f"{each.id}-again") for each in contractions)
        elif change == "copy":
            contractions = tuple(replace(each) for each in contractions)
        labours[labour_id] = found = replace(found, contractions=contractions)

        assert labour_response_json(found, clock) == by_pydantic(found, clock)
        assert LabourSummaryView.of(found, clock).pattern == PatternView.of(pattern(found, clock))
