"""The clinical rules that move a labour's phase and raise its alerts; pure functions of the labour."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from operator import sub

from labour_tracker.domain.labour.model import Contraction, Labour, Phase
from labour_tracker.domain.labour.pattern import durations, start_times, summarise

PHASE_WINDOW = 5  # the phase is judged on this many latest ended contractions
TRANSITION_MIN_INTENSITY = 8
TRANSITION_MIN_DURATION = timedelta(minutes=1, seconds=30)
ACTIVE_MIN_INTENSITY = 6
ACTIVE_MIN_DURATION = timedelta(minutes=1)

HOSPITAL_MIN_DURATION = timedelta(minutes=1)
HOSPITAL_MAX_INTERVAL_FIRST_LABOUR = timedelta(minutes=3)
HOSPITAL_MAX_INTERVAL_LATER_LABOUR = timedelta(minutes=5)
HOSPITAL_MIN_SPAN = timedelta(hours=1)
PREPARE_MIN_SPAN = timedelta(minutes=30)  # half the hospital rule's hour: time to get the bag and the car ready

URGENT_MAX_DURATION = timedelta(minutes=2)
URGENT_FREQUENT_COUNT = 6
URGENT_FREQUENT_WINDOW = timedelta(minutes=10)


class UrgentReason(StrEnum):
    """Which urgent-attention rule fired."""

    LONG_CONTRACTION = "contraction_longer_than_2_minutes"
    FREQUENT_CONTRACTIONS = "6_contractions_within_10_minutes"


def next_phase(labour: Labour) -> Phase:
    """Mean of the last 5 ended: intensity ≥ 8 and length ≥ 1.5 min → transition; ≥ 6 and ≥ 1 min → active."""
    recent = labour.ended_contractions[-PHASE_WINDOW:]
    summary = summarise(recent)
    if len(recent) < PHASE_WINDOW or summary.mean_intensity is None or summary.mean_duration_seconds is None:
        return labour.phase
    suggested = labour.phase
    if (
        summary.mean_intensity >= TRANSITION_MIN_INTENSITY
        and summary.mean_duration_seconds >= TRANSITION_MIN_DURATION.total_seconds()
    ):
        suggested = Phase.TRANSITION
    elif (
        summary.mean_intensity >= ACTIVE_MIN_INTENSITY
        and summary.mean_duration_seconds >= ACTIVE_MIN_DURATION.total_seconds()
    ):
        suggested = Phase.ACTIVE
    return suggested if labour.phase.is_before(suggested) else labour.phase


def hospital_recommended(labour: Labour) -> bool:
    """3-1-1 (first labour) or 5-1-1: each ≥ 1 min long, ≤ 3 (or 5) min start to start, for ≥ 1 hour."""
    return _regular_for(labour, HOSPITAL_MIN_SPAN)


def prepare_for_hospital_recommended(labour: Labour) -> bool:
    """The hospital rule's contractions for half its hour: time to get ready to go."""
    return _regular_for(labour, PREPARE_MIN_SPAN)


def _regular_for(labour: Labour, span: timedelta) -> bool:
    max_interval = HOSPITAL_MAX_INTERVAL_FIRST_LABOUR if labour.first_labour else HOSPITAL_MAX_INTERVAL_LATER_LABOUR
    run = _trailing_regular_run(labour.ended_contractions, max_interval)
    if not run or run[-1].end_time is None:
        return False
    return run[-1].end_time - run[0].start_time >= span


def urgent_attention_reason(labour: Labour) -> UrgentReason | None:
    """A contraction longer than 2 min, or 6 or more contractions (active one too) starting within 10 min."""
    longest = max(durations(labour.ended_contractions), default=None)
    if longest is not None and longest > URGENT_MAX_DURATION:
        return UrgentReason.LONG_CONTRACTION
    starts = start_times(labour.contractions)
    last = URGENT_FREQUENT_COUNT - 1
    # From each start to the one `last` places after it: how long each run of that many in a row took to start.
    shortest_run = min(map(sub, starts[last:], starts), default=None)
    if shortest_run is not None and shortest_run <= URGENT_FREQUENT_WINDOW:
        return UrgentReason.FREQUENT_CONTRACTIONS
    return None


def _trailing_regular_run(ended: tuple[Contraction, ...], max_interval: timedelta) -> tuple[Contraction, ...]:
    """The latest ended contractions, walking back while each lasts long enough and follows closely enough."""
    first = len(ended)
    for index in reversed(range(len(ended))):
        duration = ended[index].duration
        if duration is None or duration < HOSPITAL_MIN_DURATION:
            break
        if first < len(ended) and ended[first].start_time - ended[index].start_time > max_interval:
            break
        first = index
    return ended[first:]
