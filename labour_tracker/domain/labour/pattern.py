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


NO_CONTRACTIONS = ContractionPattern(
    count=0, mean_duration_seconds=None, mean_intensity=None, mean_frequency_seconds=None
)


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
        return NO_CONTRACTIONS
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


ONE_MICROSECOND = timedelta(microseconds=1)


class RunningPattern:
    """`pattern` of a labour from running sums over its ended contractions, brought up to date with just the ones
    that ended since it last read the labour: a labour only ever gains ended contractions at its end.

    The sums are exact integers (microseconds, intensity points), so every figure is the one `pattern` gives.
    """

    __slots__ = ("ended", "intensity_points", "microseconds", "rated", "starts")

    def __init__(self) -> None:
        self._start_over()

    def _start_over(self) -> None:
        self.ended: tuple[Contraction, ...] = ()
        self.starts: list[datetime] = []
        # Entry i of each: over the first i ended contractions.
        self.microseconds = [0]
        self.intensity_points = [0]
        self.rated = [0]  # how many have an intensity

    def pattern(self, labour: Labour, now: datetime) -> LabourPattern:
        ended = labour.ended_contractions
        known = len(self.ended)
        if ended[:known] != self.ended:  # compared in C, by identity first
            self._start_over()  # not the labour it read before, or one changed before its end
            known = 0
        for each in ended[known:]:
            self._add(each)
        self.ended = ended
        recent = bisect_left(self.starts, now - LAST_HOUR)
        return LabourPattern(last_hour=self._since(recent), whole_labour=self._since(0))

    def _add(self, contraction: Contraction) -> None:
        assert contraction.end_time is not None  # ended
        self.starts.append(contraction.start_time)
        lasted = (contraction.end_time - contraction.start_time) // ONE_MICROSECOND
        self.microseconds.append(self.microseconds[-1] + lasted)
        self.intensity_points.append(self.intensity_points[-1] + (contraction.intensity or 0))
        self.rated.append(self.rated[-1] + (contraction.intensity is not None))

    def _since(self, first: int) -> ContractionPattern:
        """The pattern of the ended contractions from the `first`th on."""
        count = len(self.starts) - first
        if not count:
            return NO_CONTRACTIONS
        rated = self.rated[-1] - self.rated[first]
        span = self.starts[-1] - self.starts[first]
        return ContractionPattern(
            count=count,
            # As timedelta.total_seconds() and fmean() divide: the same float from the same exact sum.
            mean_duration_seconds=(self.microseconds[-1] - self.microseconds[first]) / 10**6 / count,
            mean_intensity=(self.intensity_points[-1] - self.intensity_points[first]) / rated if rated else None,
            mean_frequency_seconds=span.total_seconds() / (count - 1) if count > 1 else None,
        )


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None
