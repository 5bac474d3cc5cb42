"""The shape of a labour so far: how many contractions, how long, how strong, how often."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter, sub

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


# Read with map() rather than loops of Python code: the rules read every contraction of a labour on each command.
_start_time = attrgetter("start_time")
_end_time = attrgetter("end_time")


def start_times(contractions: Sequence[Contraction]) -> list[datetime]:
    return list(map(_start_time, contractions))


def durations(ended: Sequence[Contraction]) -> Iterator[timedelta]:
    """How long each of `ended` lasted."""
    return map(sub, map(_end_time, ended), map(_start_time, ended))


def summarise(ended: Sequence[Contraction]) -> ContractionPattern:
    """Count and means over contractions that have ended, given in start order."""
    running = RunningPattern()
    running.catch_up(tuple(ended))
    return running.since(0)


def pattern(labour: Labour, now: datetime) -> LabourPattern:
    """The pattern of the ended contractions that started in the hour before `now`, and of all of them."""
    return RunningPattern().pattern(labour, now)


ONE_MICROSECOND = timedelta(microseconds=1)


class RunningPattern:
    """The pattern from running sums over a labour's ended contractions. Kept from one reading of a labour to the
    next, it adds just the ones that ended since: a labour only ever gains ended contractions at its end.

    The sums are exact integers (microseconds, intensity points), and each mean is one division of them, as
    `timedelta.total_seconds()` and `fmean()` would give it.
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
        self.catch_up(labour.ended_contractions)
        recent = bisect_left(self.starts, now - LAST_HOUR)
        return LabourPattern(last_hour=self.since(recent), whole_labour=self.since(0))

    def catch_up(self, ended: tuple[Contraction, ...]) -> None:
        """Add what `ended` holds beyond the contractions read last; start over if it is not them and more."""
        known = len(self.ended)
        if ended[:known] != self.ended:  # compared in C, by identity first
            self._start_over()  # not the labour it read before, or one changed before its end
            known = 0
        for each in ended[known:]:
            self._add(each)
        self.ended = ended

    def since(self, first: int) -> ContractionPattern:
        """The pattern of the ended contractions from the `first`th on."""
        count = len(self.starts) - first
        if not count:
            return NO_CONTRACTIONS
        rated = self.rated[-1] - self.rated[first]
        # The gaps from one start to the next add up to the first start to the last.
        span = self.starts[-1] - self.starts[first]
        return ContractionPattern(
            count=count,
            mean_duration_seconds=(self.microseconds[-1] - self.microseconds[first]) / 10**6 / count,
            mean_intensity=(self.intensity_points[-1] - self.intensity_points[first]) / rated if rated else None,
            mean_frequency_seconds=span.total_seconds() / (count - 1) if count > 1 else None,
        )

    def _add(self, contraction: Contraction) -> None:
        assert contraction.end_time is not None  # ended
        self.starts.append(contraction.start_time)
        lasted = (contraction.end_time - contraction.start_time) // ONE_MICROSECOND
        self.microseconds.append(self.microseconds[-1] + lasted)
        self.intensity_points.append(self.intensity_points[-1] + (contraction.intensity or 0))
        self.rated.append(self.rated[-1] + (contraction.intensity is not None))
