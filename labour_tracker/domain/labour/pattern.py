"""The shape of a labour so far: how many contractions, how long, how strong, how often."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
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


def summarise(contractions: Sequence[Contraction]) -> ContractionPattern:
    """Count and means over the ended ones among `contractions` (given in start order)."""
    ended = [contraction for contraction in contractions if contraction.end_time is not None]
    durations = [duration.total_seconds() for contraction in ended if (duration := contraction.duration) is not None]
    intensities = [contraction.intensity for contraction in ended if contraction.intensity is not None]
    gaps = [(later.start_time - earlier.start_time).total_seconds() for earlier, later in pairwise(ended)]
    return ContractionPattern(
        count=len(ended),
        mean_duration_seconds=_mean(durations),
        mean_intensity=_mean(intensities),
        mean_frequency_seconds=_mean(gaps),
    )


def pattern(labour: Labour, now: datetime) -> LabourPattern:
    """The pattern of the ended contractions that started in the hour before `now`, and of all of them."""
    ended = labour.ended_contractions
    recent = [contraction for contraction in ended if contraction.start_time >= now - LAST_HOUR]
    return LabourPattern(last_hour=summarise(recent), whole_labour=summarise(ended))


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None
