"""A worker's Prometheus metrics, served at /api/v1/metrics: commands, API latency, consumer lag, notifications,
mirror lag, garbage-collection pauses, and the Python process.

Metrics live in `REGISTRY`, the worker's own, so that tests can read them without Prometheus' global registry.
Code that records something imports the metric object from here and calls it; nothing here knows the callers.
docs/operations.md lists every metric (a test holds the two together).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Collection, Iterator
from typing import Any, Protocol, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from labour_tracker.messages.envelopes import Outcome

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# From a millisecond (a command on a warm table) to the longest an HTTP call waits for a reply (120 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
UNKNOWN = "unknown"  # the command type of a message that named none we know: keeps label values a closed set

commands_total = Counter(
    "labour_tracker_commands",
    "Commands applied by the aggregate agents, by outcome; `code` is the error code of a rejection.",
    ["aggregate", "type", "status", "code"],
    registry=REGISTRY,
)
command_duration_seconds = Histogram(
    "labour_tracker_command_duration_seconds",
    "Seconds an aggregate agent takes to decide one command and send what it publishes.",
    ["aggregate", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
kafka_send_failures_total = Counter(
    "labour_tracker_kafka_send_failures",
    "Messages of a command the broker did not take: one it `refused` as a message parks the command on the "
    "dead-letter topic; any other failure (the broker away) stops the worker, which takes the command again.",
    ["agent", "refused"],
    registry=REGISTRY,
)
http_request_duration_seconds = Histogram(
    "labour_tracker_http_request_duration_seconds",
    "Seconds the API takes to answer, by method, route template and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
gc_pause_seconds = Histogram(
    "labour_tracker_gc_pause_seconds",
    "Seconds each garbage collection held the event loop, by generation (2: a full pass).",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
    registry=REGISTRY,
)


class GcPauses:
    """Times each collection (`gc.callbacks`): while it runs, nothing else on the event loop does."""

    def __init__(self) -> None:
        self.started = 0.0
        self.by_generation = [gc_pause_seconds.labels(str(generation)) for generation in range(3)]

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.by_generation[info["generation"]].observe(time.perf_counter() - self.started)


gc.callbacks.append(GcPauses())
notifications_total = Counter(
    "labour_tracker_notifications",
    "Notifications by channel and final status.",
    ["channel", "status"],
    registry=REGISTRY,
)
"""Count each notification once, when its final status is recorded:
`notifications_total.labels(channel="sms" | "email", status="sent" | "failed").inc()`."""

notifications_withheld_total = Counter(
    "labour_tracker_notifications_withheld",
    "Notifications not sent because their destination had its messages an hour already (each is also counted as "
    "failed), by channel: a rise is someone asking for messages to one number or address over and over.",
    ["channel"],
    registry=REGISTRY,
)
"""Count each notification withheld by the destination cap, as it is withheld:
`notifications_withheld_total.labels(channel="sms" | "email").inc()`."""

mirror_lag_seconds = Histogram(
    "labour_tracker_mirror_lag_seconds",
    "Seconds from a change entering its table changelog to its row being committed in PostgreSQL.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=REGISTRY,
)
"""Observe once per change after its batch commits: `mirror_lag_seconds.observe(now - record timestamp)`."""


class Replied(Protocol):
    @property
    def outcome(self) -> Outcome: ...


class Answered(Protocol):
    @property
    def reply(self) -> Replied | None: ...


A = TypeVar("A", bound=Answered)


async def timed_command(aggregate: str, known_types: Collection[str], handling: Awaitable[A]) -> A:
    """Await an agent's deciding of one command, count its outcome and time it; returns what `handling` gave."""
    started = time.perf_counter()
    handled = await handling
    elapsed = time.perf_counter() - started
    if handled.reply is None:  # a command delivered again, counted when it was taken
        return handled
    outcome = handled.reply.outcome
    command_type = outcome.command_type
    commands_total.labels(
        aggregate=aggregate,
        type=command_type if command_type in known_types else UNKNOWN,
        status=outcome.status,
        code=outcome.error.code if outcome.error else "",
    ).inc()
    command_duration_seconds.labels(aggregate=aggregate, status=outcome.status).observe(elapsed)
    return handled


class ConsumerLag(Collector):
    """Per partition this worker consumes: end offset minus committed offset, read from Faust's consumer when
    Prometheus scrapes (nothing is polled in between). Partitions with nothing committed yet are left out."""

    def __init__(self, faust_app: Any) -> None:
        self._app = faust_app

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "labour_tracker_consumer_lag",
            "Messages not yet processed on each partition this worker consumes (end offset - committed offset).",
            labels=["topic", "partition"],
        )
        for topic, partition, behind in self.partitions():
            lag.add_metric([topic, str(partition)], behind)
        yield lag

    def partitions(self) -> list[tuple[str, int, int]]:
        consumer = getattr(self._app, "_consumer", None)  # None until the worker starts consuming
        if consumer is None:
            return []
        found = []
        committed = consumer._committed_offset
        for tp in sorted(consumer.assignment()):
            offset = committed.get(tp)
            try:
                end = consumer.highwater(tp)
            except Exception:  # not fetched yet, or the partition is moving in a rebalance: nothing to say
                continue
            if offset is not None and end is not None:
                found.append((tp.topic, tp.partition, max(end - offset, 0)))
        return found


_consumer_lag: list[ConsumerLag] = []


def watch_consumer(faust_app: Any) -> None:
    """Report the consumer lag of this worker's Faust app (registered once per process)."""
    if not _consumer_lag:
        _consumer_lag.append(ConsumerLag(faust_app))
        REGISTRY.register(_consumer_lag[0])
