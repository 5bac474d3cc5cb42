"""Follow the tables' changelogs into PostgreSQL, acknowledging a batch's offsets only after its commit.

A consumer of its own (not a Faust agent) so that the offsets committed are exactly those written: while
PostgreSQL is away the same batch is tried again with backoff and nothing later is read, so a restart, a
rebalance or an outage of any length resumes from the first record not yet in the mirror.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, KafkaError

from labour_tracker.kafka_history import batches_up_to, rewind
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.rows import Change, Unreadable, read_change
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import KafkaConnection

log = logging.getLogger(__name__)

Unreadables = Callable[[ConsumerRecord[bytes, bytes], str], Awaitable[None]]  # reports each record set aside
Mirrored = Callable[[list[Change], datetime], None]  # told of each batch written, with when its commit ended

MIRROR_FETCH_BYTES, MIRROR_FETCH_WAIT_MS = 256 * 1024, 100
FIRST_RESTART, LAST_RESTART = 1.0, 30.0  # seconds before following again after a failure: doubling


async def keep_running(run: Callable[[], Awaitable[None]], stopping: asyncio.Event, doing: str) -> None:
    """Run `run` until `stopping` is set, starting it again after any failure (logged, with backoff).

    The mirror commits only what it wrote, so a restart resumes where it stopped; a failure delays the mirror
    and never stops the worker's commands.
    """
    delay = FIRST_RESTART
    while not stopping.is_set():
        try:
            await run()
        except Exception:
            log.exception("%s failed; starting again in %.0f s", doing, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=delay)
        delay = min(delay * 2, LAST_RESTART)


def mirror_group(app_id: str, schema: str) -> str:
    """The consumer group mirroring into `schema`: a new schema is filled from the start of the changelogs."""
    return f"{app_id}-mirror-{schema}"


class ForgetOnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions moving between workers: the rows this worker wrote may be written by another meanwhile."""

    def __init__(self, writer: MirrorWriter) -> None:
        self.writer = writer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.writer.forget()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.writer.forget()


class ChangelogMirror:
    def __init__(
        self,
        *,
        kafka: KafkaConnection,
        tables: Mapping[str, str],  # changelog topic -> mirrored table
        database: Database,
        writer: MirrorWriter,
        unreadable: Unreadables,
        rejected: Callable[[Change, str], Awaitable[None]],
        batch_size: int = 1000,
        mirrored: Mirrored | None = None,
    ) -> None:
        self.kafka = kafka
        self.tables = dict(tables)
        self.database = database
        self.writer = writer
        self.unreadable = unreadable
        self.rejected = rejected
        self.batch_size = batch_size
        self.mirrored = mirrored
        self.written = 0  # changes written (or found already written) since start

    def consumer(self, group_id: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=group_id,
            client_id="labour-tracker-mirror",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A batch waits for PostgreSQL as long as it is away; the group must not take the partitions meanwhile.
            max_poll_interval_ms=24 * 3600 * 1000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_500,
            # Fetch in batches: each fetch, transaction and commit costs the mirror, the broker and PostgreSQL about
            # the same however much it holds. The mirror trails by at most the wait; the broker answers sooner once
            # the bytes are there.
            fetch_min_bytes=MIRROR_FETCH_BYTES,
            fetch_max_wait_ms=MIRROR_FETCH_WAIT_MS,
        )

    async def follow(self, group_id: str, stopping: asyncio.Event) -> None:
        """Mirror every change as it comes, in the consumer group that shares the changelogs among workers."""
        consumer = self.consumer(group_id)
        consumer.subscribe(topics=list(self.tables), listener=ForgetOnRebalance(self.writer))
        await consumer.start()
        try:
            while not stopping.is_set():
                fetched = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                if fetched and await self._mirror(fetched, stopping):
                    await self._commit(consumer, fetched)
        finally:
            await consumer.stop()

    async def copy(self, group_id: str) -> int:
        """Mirror every change from the start of the changelogs to their ends as they are now, then commit those
        ends for `group_id`, so workers following that group go on from there. Returns the changes written."""
        partitions = await self._partitions()
        consumer = self.consumer(group_id)
        await consumer.start()
        try:
            ends = await rewind(consumer, partitions)
            async for batch in batches_up_to(consumer, ends, max_records=self.batch_size):
                await self._mirror(batch, asyncio.Event())
            if partitions:
                await consumer.commit({tp: ends[tp] for tp in partitions})
        finally:
            await consumer.stop()
        return self.written

    async def _partitions(self) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(**self.kafka.client_options(), client_id="labour-tracker-mirror")
        await admin.start()
        try:
            described = await admin.describe_topics(list(self.tables))
        finally:
            await admin.close()
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            if topic["error_code"] == 0
            for partition in topic["partitions"]
        ]

    async def _mirror(
        self, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]], stopping: asyncio.Event
    ) -> bool:
        """Write one fetch into the mirror, trying again until it lands; False if stopped first.

        Unreadable records are set aside once the rest of their fetch has landed, so an outage repeats none.
        """
        changes, unreadable = [], []
        for records in fetched.values():
            for record in records:
                changed_at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                try:
                    change = read_change(
                        self.tables[record.topic], record.key, record.value, changed_at,
                        record.topic, record.partition, record.offset,
                    )  # fmt: skip
                except Unreadable as error:
                    unreadable.append((record, str(error)))
                    continue
                if change is not None:
                    changes.append(change)
        written, _ = await self.database.patiently(
            lambda connection: self.writer.write(connection, changes, self.rejected), stopping, "the mirror"
        )
        if not written:
            return False
        for record, reason in unreadable:
            await self.unreadable(record, reason)
        self.written += len(changes)
        if self.mirrored is not None:
            self.mirrored(changes, datetime.now(UTC))
        return True

    @staticmethod
    async def _commit(
        consumer: AIOKafkaConsumer, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        try:
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in fetched.items()})
        except (CommitFailedError, KafkaError) as error:
            # The partitions moved on a rebalance: their new owner writes these again, which changes nothing.
            log.warning("mirror could not commit its offsets (%s); they will be mirrored again", error)
