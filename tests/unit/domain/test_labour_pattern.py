"""Stories of reading a labour's pattern: how many contractions, how long, how strong, how often."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import fmean

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain.labour import (
    Contraction,
    ContractionPattern,
    Labour,
    LabourPattern,
    Phase,
    RunningPattern,
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


def by_definition(contractions: tuple[Contraction, ...]) -> ContractionPattern:
    """SPEC's pattern spelled out one contraction at a time, to hold the quicker one to."""
    ended = [each for each in contractions if each.end_time is not None]
    durations = [(each.end_time - each.start_time).total_seconds() for each in ended if each.end_time is not None]
    intensities = [each.intensity for each in ended if each.intensity is not None]
    gaps = [(later.start_time - earlier.start_time).total_seconds() for earlier, later in pairwise(ended)]
    return ContractionPattern(
        count=len(ended),
        mean_duration_seconds=fmean(durations) if durations else None,
        mean_intensity=fmean(intensities) if intensities else None,
        mean_frequency_seconds=fmean(gaps) if gaps else None,
    )


@given(
    spells=st.lists(st.tuples(st.integers(0, 900), st.integers(1, 300), st.none() | st.integers(1, 10)), max_size=60),
    one_under_way=st.booleans(),
    read_after=st.integers(0, 7200),
)
def test_the_pattern_is_each_mean_over_the_ended_contractions_of_the_last_hour_and_of_the_whole_labour(
    spells: list[tuple[int, int, int | None]], one_under_way: bool, read_after: int
) -> None:
    contractions, previous_end = [], at(minutes=0)
    for n, (rest, lasting, intensity) in enumerate(spells):
        start = previous_end + timedelta(seconds=rest)
        previous_end = start + timedelta(seconds=lasting)
        contractions.append(Contraction(f"c{n}", start, previous_end, intensity, None))
    if one_under_way:
        contractions.append(Contraction("under-way", previous_end + timedelta(seconds=30), None, 7, None))
    labour = Labour("labour", True, at(minutes=0), None, Phase.EARLY, None, tuple(contractions), frozenset())
    now: datetime = (contractions[-1].start_time if contractions else at(minutes=0)) + timedelta(seconds=read_after)

    found = pattern(labour, now)

    last_hour = tuple(each for each in contractions if each.start_time >= now - timedelta(hours=1))
    for got, expected in (
        (found.whole_labour, by_definition(tuple(contractions))),
        (found.last_hour, by_definition(last_hour)),
    ):
        assert got.count == expected.count
        assert got.mean_duration_seconds == pytest.approx(expected.mean_duration_seconds)
        assert got.mean_intensity == pytest.approx(expected.mean_intensity)
        assert got.mean_frequency_seconds == pytest.approx(expected.mean_frequency_seconds)


@st.composite
def labour_versions(draw: st.DrawFn) -> list[tuple[Labour, datetime]]:
    """A labour as a worker reads it command after command: contractions start and end, the latest is amended, or
    one before it is (as no command does today), and each version is read at some moment after its latest start or
    exactly an hour after a start."""
    versions, contractions, clock = [], [], at(minutes=0)
    for step in draw(st.lists(st.sampled_from(["start", "end", "amend latest", "amend earlier"]), max_size=40)):
        active = bool(contractions) and contractions[-1].end_time is None
        if step == "start" and not active:
            clock += timedelta(seconds=draw(st.integers(0, 1200)))
            contractions.append(Contraction(f"c{len(contractions)}", clock, None, None, None))
        elif step == "end" and active:
            clock += timedelta(seconds=draw(st.integers(1, 300)), microseconds=draw(st.integers(0, 999_999)))
            intensity = draw(st.none() | st.integers(1, 10))
            contractions[-1] = replace(contractions[-1], end_time=clock, intensity=intensity)
        elif step.startswith("amend") and contractions:
            which = -1 if step == "amend latest" else draw(st.integers(0, len(contractions) - 1))
            contractions[which] = replace(contractions[which], intensity=draw(st.none() | st.integers(1, 10)))
        labour = Labour("labour", True, at(minutes=0), None, Phase.EARLY, None, tuple(contractions), frozenset())
        later = clock + timedelta(seconds=draw(st.integers(0, 7200)))
        an_hour_after_a_start = [each.start_time + timedelta(hours=1) for each in contractions]  # on the edge
        versions.append((labour, draw(st.sampled_from([later, *an_hour_after_a_start]))))
    return versions


@given(labour_versions())
def test_the_running_pattern_gives_exactly_the_pattern_of_every_version_it_reads(
    versions: list[tuple[Labour, datetime]],
) -> None:
    running = RunningPattern()
    for labour, now in versions:
        assert running.pattern(labour, now) == pattern(labour, now)
