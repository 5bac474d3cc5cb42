"""The API's views of domain state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from labour_tracker.domain.labour import Alert, Contraction, Labour, Phase
from labour_tracker.http.schemas import ContractionView, LabourResponse, LabourView

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
    )
    answer = LabourResponse(labour=LabourView.of(found, STARTED + timedelta(minutes=40)))
    assert answer.to_json() == answer.model_dump_json().encode()
    again = LabourResponse(labour=LabourView.of(replace(found), STARTED + timedelta(minutes=40)))
    assert again.to_json() == answer.to_json()  # the contractions' JSON as kept the first time
