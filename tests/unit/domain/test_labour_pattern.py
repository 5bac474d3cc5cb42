"""Stories of reading a labour's pattern: how many contractions, how long, how strong, how often."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labour_tracker.domain.labour import (
    Contraction,
    ContractionPattern,
    LabourPattern,
    StartContraction,
    pattern,
)
from labour_tracker.domain.labour.pattern import summarise
from tests.unit.domain.labour_story import at, in_labour

NOTHING_YET = ContractionPattern(count=0, mean_duration_seconds=None, mean_intensity=None, mean_frequency_seconds=None)


def test_a_labour_without_contractions_has_an_empty_pattern() -> None:
    story = in_labour()

    assert pattern(story.labour, at(minutes=5)) == LabourPattern(last_hour=NOTHING_YET, whole_labour=NOTHING_YET)


def test_a_single_contraction_has_a_duration_and_intensity_but_no_frequency() -> None:
    story = in_labour()
    story.contraction(at(minutes=10), timedelta(seconds=45), intensity=4)

    assert pattern(story.labour, at(minutes=11)).whole_labour == ContractionPattern(
        count=1, mean_duration_seconds=45.0, mean_intensity=4.0, mean_frequency_seconds=None
    )


def test_frequency_is_measured_from_start_to_start_not_from_end_to_start() -> None:
    story = in_labour()
    story.contraction(at(minutes=0), timedelta(seconds=60), intensity=3)
    story.contraction(at(minutes=5), timedelta(seconds=90), intensity=5)
    story.contraction(at(minutes=12), timedelta(seconds=30), intensity=7)

    whole = pattern(story.labour, at(minutes=13)).whole_labour

    assert whole.count == 3
    assert whole.mean_frequency_seconds == pytest.approx(360.0)  # gaps of 5 and 7 minutes
    assert whole.mean_duration_seconds == pytest.approx(60.0)
    assert whole.mean_intensity == pytest.approx(5.0)


def test_a_contraction_under_way_is_left_out_until_it_ends() -> None:
    story = in_labour()
    story.contraction(at(minutes=0), timedelta(seconds=60))
    story.do(StartContraction(intensity=9), now=at(minutes=3))

    assert pattern(story.labour, at(minutes=4)).whole_labour.count == 1


def test_the_last_hour_counts_contractions_that_started_within_the_hour_before_now() -> None:
    story = in_labour()
    story.contraction(at(minutes=0), timedelta(seconds=30), intensity=2)  # 61 minutes before now
    story.contraction(at(minutes=1), timedelta(seconds=60), intensity=6)  # exactly an hour before now
    story.contraction(at(minutes=31), timedelta(seconds=90), intensity=8)

    last_hour_and_whole = pattern(story.labour, at(minutes=61))

    assert last_hour_and_whole.last_hour == ContractionPattern(
        count=2, mean_duration_seconds=75.0, mean_intensity=7.0, mean_frequency_seconds=1800.0
    )
    assert last_hour_and_whole.whole_labour.count == 3


def test_contractions_without_an_intensity_are_left_out_of_the_mean_intensity() -> None:
    contractions = (
        Contraction("a", at(minutes=0), at(minutes=1), None, None),
        Contraction("b", at(minutes=4), at(minutes=5), 6, None),
    )

    assert summarise(contractions).mean_intensity == 6.0
