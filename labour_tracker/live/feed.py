"""Each worker's own reader of `birthing_person.live`: every partition, from its end when it starts, into the hub.

No consumer group and no commits: every worker reads every live message (a stream may be open on any worker), and
one that starts has nothing to catch up on (a reader who missed messages gets a snapshot). It fetches with a short
wait, so a message reaches the streams within tens of milliseconds of the broker having it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import mode
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from labour_tracker.live.hub import LiveHub
from labour_tracker.messages.live import LiveMessage
from labour_tracker.mirror.follower import keep_running
from labour_tracker.settings import KafkaConnection

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 50  # the longest a fetch waits for a message: what the feed adds to a stream's latency, at most
POLL_MS = 1000


class LiveFeed(mode.Service):
    """Reads `topic` into `hub` once `declared` is set (the worker declared its topics)."""

    def __init__(
        self, kafka: KafkaConnection, topic: str, hub: LiveHub, declared: asyncio.Event, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.kafka, self.topic, self.hub, self.declared = kafka, topic, hub, declared
        self.stopping = asyncio.Event()
        self.following = asyncio.Event()  # assigned every partition and at their end

    @mode.Service.task
    async def _run(self) -> None:
        await keep_running(self._follow, self.stopping, "the live feed")

    async def on_stop(self) -> None:
        self.stopping.set()

    async def _follow(self) -> None:
        await self.declared.wait()
        consumer = AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=None,
            client_id="labour-tracker-live",
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=FETCH_WAIT_MS,
        )
        await consumer.start()
        try:
            partitions = await _partitions(consumer, self.topic)
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            self.following.set()
            while not self.stopping.is_set():
                batches = await consumer.getmany(timeout_ms=POLL_MS)
                for records in batches.values():
                    for record in records:
                        self._publish(record.value, record.partition, record.offset)
        finally:
            self.following.clear()
            await consumer.stop()

    def _publish(self, value: bytes | None, partition: int, offset: int) -> None:
        try:
            message = LiveMessage.model_validate_json(value or b"")
        except ValidationError:  # only the service writes here; a stray message is skipped, never shown
            log.warning("live message at %s[%s]@%s is unreadable; skipped", self.topic, partition, offset)
            return
        self.hub.publish(message)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions, once the broker's metadata has them."""
    while True:
        await consumer.topics()  # fetches the cluster's metadata
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, each) for each in sorted(found)]
        await asyncio.sleep(0.2)
