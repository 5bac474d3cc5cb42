"""Faust's Kafka transport for the worker: its consumer and producer, adjusted so that no message is lost or held up.

- The consumer runs on the worker's event loop, and asks the broker to hold a fetch only briefly (`LoopConsumer`).
- No stream record is fetched between a rebalance's resume and its seek, and records of a partition paused while a
  fetch waited are put back (`WorkerConsumer`, `give_back_paused`).
- The producer's Kafka client keeps the metadata of every topic it sends to (`WorkerProducer`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from mode.threads import WorkerThread
from mode.utils.futures import maybe_async

FETCH_MAX_WAIT_MS = 20  # the most a busy partition's records wait behind a held fetch of quiet ones (LoopConsumer)


class _AsTask(WorkerThread):
    """Where Faust would start a thread for the consumer: its service runs as a task on the worker's event loop."""

    def start(self) -> None:
        self.task = self.service.parent_loop.create_task(self.service._serve())

    def stop(self) -> None:
        pass  # nothing to join: the service has shut down when this is called


class LoopConsumer(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer, on the worker's event loop rather than in a thread with a loop of its own, and
    with fetches the broker holds for at most FETCH_MAX_WAIT_MS when it has nothing new.

    In a thread, every fetch, commit and seek would go through a method queue and come back by waking the main
    loop, and on a busy worker the two threads would take turns at the GIL: each command would wait for those
    handovers. Its heartbeats share the worker's loop, so the worker works in short steps (a command, a batch of
    records): a loop held longer than the session timeout (`LABOUR_TRACKER_KAFKA_SESSION_TIMEOUT`, 10 s) would cost
    the worker its partitions.

    aiokafka leaves a partition whose fetched records are not yet taken out of its next fetch. Under load that
    next fetch names only quiet partitions, the broker holds it, and records arriving meanwhile on the busy
    partition (commands, replies) wait for it: as long as the broker may hold a fetch (Faust's 1.5 s), each time.
    """

    def __init__(self, consumer: Any, *, loop: asyncio.AbstractEventLoop, **kwargs: Any) -> None:
        super().__init__(consumer, loop=loop, thread_loop=loop, Worker=_AsTask, **kwargs)

    async def on_thread_started(self) -> None:
        pass  # a thread's queue of calls to make in it: here they are made directly (below)

    async def call_thread(self, fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await maybe_async(fun(*args, **kwargs))

    async def cast_thread(self, fun: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        await self.call_thread(fun, *args, **kwargs)

    async def _gather_remaining_tasks(self) -> None:
        pass  # a thread's sweep of every task left on its loop: this loop is the worker's own

    def _create_worker_consumer(self, transport: faust_aiokafka.Transport) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when its fetcher starts; Faust passes no setting
        return consumer

    async def _fetch_records(  # Faust's signature
        self,
        consumer: Any,
        active_partitions: set[TP],
        timeout: float | None = None,  # noqa: ASYNC109
        max_records: int | None = None,
    ) -> Mapping[TP, list[Any]]:
        fetched = await super()._fetch_records(consumer, active_partitions, timeout=timeout, max_records=max_records)
        return give_back_paused(consumer, fetched, self.consumer)


def give_back_paused(kafka: Any, fetched: Mapping[TP, list[Any]], faust_consumer: Any) -> Mapping[TP, list[Any]]:
    """The records of partitions paused while the fetch waited (a rebalance began), put back: aiokafka is sought
    to the first of them, so they are read again once the partition resumes. Faust would skip them, and it seeks
    back only a partition that has a committed offset. `faust_consumer` is Faust's consumer: its active and buffered
    partition sets decide, as in its own getmany."""
    active: set[TP] | None = faust_consumer._active_partitions
    if active is None:  # no partition was ever paused
        return fetched
    kept = {}
    for tp, records in fetched.items():
        if records and tp not in active and tp not in faust_consumer._buffered_partitions:
            kafka.seek(tp, records[0].offset)
        else:
            kept[tp] = records
    return kept


class WorkerConsumer(faust_aiokafka.Consumer):
    """Faust's consumer, on the event loop with prompt fetches (above), and stream partitions resumed only once a
    rebalance is over.

    At the end of a rebalance Faust resumes the stream partitions, then seeks them to their committed offsets, then
    resumes the flow, which empties every agent's queue. Records fetched in between would be dropped with those
    queues, and the seek would reset the read offsets under the batch still being handed on, so Faust would take
    the next records for a gap and commit the dropped ones unhandled (lost notifications, unanswered commands).
    So stream partitions resume with the flow: the seek, then the emptying, happen while nothing is fetched from
    them.

    A fetch is given a copy of the partitions to read, as they are when it starts: aiokafka reads the set it is
    given as it waits, and would take one emptied meanwhile (every partition paused, as in a rebalance) for "all
    of them", handing on records of paused partitions that Faust skips and, for a partition never committed, does
    not seek back to.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._held: set[TP] = set()  # stream partitions to resume with the flow
        super().__init__(*args, **kwargs)

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        wanted = set(tps)
        streams = {tp for tp in wanted if not self._is_changelog_tp(tp)}
        self._held |= streams
        super().resume_partitions(wanted - streams)

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        paused = set(tps)
        self._held -= paused
        super().pause_partitions(paused)

    def resume_flow(self) -> None:
        if self._held:
            held, self._held = self._held & self.assignment(), set()  # a rebalance may have taken some since
            super().resume_partitions(held)
        super().resume_flow()

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Mapping[TP, list[Any]]:  # noqa: ASYNC109
        partitions = set(active_partitions) if active_partitions is not None else None
        return await super()._getmany(partitions, timeout)

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return LoopConsumer(self, loop=self.loop, beacon=self.beacon)


class WorkerProducer(faust_aiokafka.Producer):
    """Faust's producer, whose Kafka client keeps the metadata of every topic it has sent to.

    aiokafka adds a topic to the metadata it refreshes only when a send finds it unknown; one known from a refresh
    of every topic (which it makes while it tracks none) is not added. Once any topic is tracked, refreshes name
    only the tracked ones, the other topics drop out of its metadata, and a batch already queued for one of them
    has no leader to go to: it waits until something else is sent there, and an agent waiting for it (and every
    commit, which flushes the producer first) waits as long.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self._tracked: set[str] = set()

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Awaitable[Any]:
        if topic not in self._tracked:
            self._ensure_producer().client.add_topic(topic)
            self._tracked.add(topic)
        return await super().send(topic, key, value, partition, timestamp, headers, transactional_id=transactional_id)


class WorkerTransport(faust_aiokafka.Transport):
    Consumer = WorkerConsumer
    Producer = WorkerProducer
