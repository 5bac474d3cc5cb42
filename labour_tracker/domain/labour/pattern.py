"""The shape of a labour so far: how many contractions, how long, how strong, how often."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter, sub
from statistics import fmean

from labour_tracker.domain.labour.model import Contraction, Labour

LAST_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ContractionPattern:
    """Means over ended contractions; None where there is nothing to average."""

    count: int
    mean_duration_seconds: float | None
    mean_intensity: float | None
    mean_frequency_seconds: float | None  # start to start, not the rest between contractions


@dataclass(frozen=True, slots=True)
class LabourPattern:
    last_hour: ContractionPattern
    whole_labour: ContractionPattern


# Read with map() rather than loops of Python code: every answer about a labour carries its whole pattern.
_start_time = attrgetter("start_time")
_end_time = attrgetter("end_time")
_intensity = attrgetter("intensity")


def start_times(contractions: Sequence[Contraction]) -> list[datetime]:
    return list(map(_start_time, contractions))


def durations(ended: Sequence[Contraction]) -> Iterator[timedelta]:
    """How long each of `ended` lasted."""
    return map(sub, map(_end_time, ended), map(_start_time, ended))


def summarise(ended: Sequence[Contraction]) -> ContractionPattern:
    """Count and means over contractions that have ended, given in start order."""
    count = len(ended)
    if not count:
        return ContractionPattern(count=0, mean_duration_seconds=None, mean_intensity=None, mean_frequency_seconds=None)
    starts = start_times(ended)
    total_duration = sum(durations(ended), timedelta())
    intensities = list(map(_intensity, ended))
    if None in intensities:
        intensities = [intensity for intensity in intensities if intensity is not None]
    # The gaps from one start to the next add up to the first start to the last.
    span = starts[-1] - starts[0]
    return ContractionPattern(
        count=count,
        mean_duration_seconds=total_duration.total_seconds() / count,
        mean_intensity=_mean(intensities),
        mean_frequency_seconds=span.total_seconds() / (count - 1) if count > 1 else None,
    )


def pattern(labour: Labour, now: datetime) -> LabourPattern:
    """The pattern of the ended contractions that started in the hour before `now`, and of all of them."""
    ended = labour.ended_contractions
    recent = ended[bisect_left(ended, now - LAST_HOUR, key=_start_time) :]
    return LabourPattern(last_hour=summarise(recent), whole_labour=summarise(ended))


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None
