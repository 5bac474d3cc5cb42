"""The worker's Kafka consumer (on the event loop, brief fetches, no stream record early in a rebalance), producer."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from labour_tracker.transport import FETCH_MAX_WAIT_MS, WorkerConsumer, WorkerProducer, give_back_paused
from tests.fakes.worker import built_worker

app, notifications = built_worker().app, built_worker().tables.notifications
DELIVERIES = TP(f"{app.settings.topic_prefix}.notifications.deliveries", 0)
COMMANDS = TP(f"{app.settings.topic_prefix}.birthing_person.commands", 1)
CHANGELOG = TP(notifications.changelog_topic.get_topic_name(), 0)


async def test_the_worker_consumer_runs_on_the_worker_event_loop_not_in_a_thread() -> None:
    service = app.consumer._thread  # type: ignore[attr-defined]

    async def where() -> tuple[int, asyncio.AbstractEventLoop]:
        return threading.get_ident(), asyncio.get_running_loop()

    here = threading.get_ident(), asyncio.get_running_loop()
    assert await asyncio.wait_for(service.call_thread(where), timeout=5) == here
    assert service.thread_loop is service.parent_loop


async def test_the_worker_consumer_fetches_with_a_short_wait() -> None:
    thread = app.consumer._thread  # type: ignore[attr-defined]
    consumer = thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS < 100
    finally:
        await consumer.stop()


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> WorkerConsumer:
    """A consumer of its own, assigned three partitions and, as a rebalance leaves them, with all three paused."""
    consumer = app._new_consumer()
    assert isinstance(consumer, WorkerConsumer)
    monkeypatch.setattr(consumer, "assignment", lambda: {DELIVERIES, COMMANDS, CHANGELOG})  # not started
    consumer.pause_partitions({DELIVERIES, COMMANDS, CHANGELOG})
    return consumer


def fetched(consumer: WorkerConsumer) -> set[TP]:
    return set(consumer._get_active_partitions())


def test_stream_partitions_resumed_at_the_end_of_a_rebalance_wait_for_the_flow_to_resume(
    consumer: WorkerConsumer,
) -> None:
    consumer.resume_partitions({DELIVERIES, COMMANDS, CHANGELOG})
    # Faust seeks the stream partitions and empties the agents' queues now: nothing may be fetched from them yet.
    assert fetched(consumer) == {CHANGELOG}

    consumer.resume_flow()

    assert fetched(consumer) == {DELIVERIES, COMMANDS, CHANGELOG}


def test_a_stream_partition_paused_or_taken_away_before_the_flow_resumes_is_not_resumed_with_it(
    consumer: WorkerConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer.resume_partitions({DELIVERIES, COMMANDS})
    consumer.pause_partitions({COMMANDS})  # a new rebalance begins
    monkeypatch.setattr(consumer, "assignment", lambda: {COMMANDS, CHANGELOG})  # and takes DELIVERIES away

    consumer.resume_flow()

    assert fetched(consumer) == set()


def test_changelog_partitions_resume_at_once_for_table_recovery(consumer: WorkerConsumer) -> None:
    consumer.resume_partitions({CHANGELOG})

    assert fetched(consumer) == {CHANGELOG}


async def test_a_fetch_reads_the_partitions_active_when_it_starts_not_a_set_emptied_as_it_waits(
    consumer: WorkerConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiokafka reads the set it is given while it waits, and reads an empty one as "every partition"."""
    consumer.resume_partitions({CHANGELOG})
    active = consumer._get_active_partitions()
    asked: list[set[TP]] = []

    async def fetch(partitions: set[TP], _timeout: float) -> dict[TP, list[object]]:
        consumer.pause_partitions({CHANGELOG})  # a rebalance starts while the fetch waits
        asked.append(set(partitions))
        return {}

    monkeypatch.setattr(consumer._thread, "getmany", fetch)  # type: ignore[attr-defined]

    await consumer._getmany(active, timeout=0.1)

    assert active == set() and asked == [{CHANGELOG}]


class Positions:
    """Where a test's aiokafka consumer was sought to."""

    def __init__(self) -> None:
        self.sought: dict[TP, int] = {}

    def seek(self, tp: TP, offset: int) -> None:
        self.sought[tp] = offset


def records(*offsets: int) -> list[Any]:
    return [SimpleNamespace(offset=offset) for offset in offsets]


def test_records_of_a_partition_paused_while_the_fetch_waited_are_put_back_to_be_read_again() -> None:
    kafka = Positions()
    faust = SimpleNamespace(_active_partitions={CHANGELOG}, _buffered_partitions={COMMANDS})
    fetched = {DELIVERIES: records(7, 8, 9), COMMANDS: records(3), CHANGELOG: records(40, 41)}

    kept = give_back_paused(kafka, fetched, faust)

    assert set(kept) == {COMMANDS, CHANGELOG}, "active and buffered partitions keep theirs"
    assert kafka.sought == {DELIVERIES: 7}


class KafkaClient:
    """The topics an aiokafka client was told to keep the metadata of."""

    def __init__(self) -> None:
        self.tracked: list[str] = []

    def add_topic(self, topic: str) -> None:
        self.tracked.append(topic)


class KafkaProducer:
    """What the worker's producer asks of aiokafka's: its client, and sends."""

    def __init__(self) -> None:
        self.client = KafkaClient()
        self.sent: list[str] = []

    async def send(self, topic: str, value: bytes | None, **_: Any) -> None:
        self.sent.append(topic)


async def test_the_producer_has_its_client_keep_the_metadata_of_each_topic_it_sends_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    producer = app.transport.create_producer(beacon=None)
    assert isinstance(producer, WorkerProducer)
    kafka = KafkaProducer()
    monkeypatch.setattr(producer, "_ensure_producer", lambda: kafka)  # not started

    for topic in ("deliveries", "events", "deliveries"):
        await producer.send(topic, b"k", b"v", None, None, None)

    assert kafka.sent == ["deliveries", "events", "deliveries"]
    assert kafka.client.tracked == ["deliveries", "events"], "each once: refreshed with the others from then on"
