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
from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from labour_tracker.live.hub import LiveHub
from labour_tracker.messages.live import LiveMessage
from labour_tracker.mirror.follower import keep_running
from labour_tracker.settings import KafkaConnection

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 50  # the longest a fetch waits for a message: what the feed adds to a stream's latency, at most
POLL_MS = 1000
METADATA_MAX_AGE_MS = 2000


class LiveFeed(mode.Service):
    """Reads `topic` into `hub` once `declared` is set (the worker declared its topics)."""

    def __init__(
        self, kafka: KafkaConnection, topic: str, hub: LiveHub, declared: asyncio.Event, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.kafka, self.topic, self.hub, self.declared = kafka, topic, hub, declared
        self.stopping = asyncio.Event()

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
            # A topic just created may have no leader yet at the first look: look again soon, not in 5 minutes.
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        await consumer.start()
        try:
            consumer.subscribe([self.topic])  # without a group: every partition, from its end (`latest`)
            while not self.stopping.is_set():
                batches = await consumer.getmany(timeout_ms=POLL_MS)
                if not self.hub.following and consumer.assignment():
                    self.hub.following = True
                    log.info("the live feed follows %s (%d partitions)", self.topic, len(consumer.assignment()))
                for records in batches.values():
                    for record in records:
                        self._publish(record.value, record.partition, record.offset)
        finally:
            # What comes until it follows again is not read: every stream ends, and its reader reconnects.
            self.hub.following = False
            self.hub.end_all("reconnect")
            await consumer.stop()

    def _publish(self, value: bytes | None, partition: int, offset: int) -> None:
        try:
            message = LiveMessage.model_validate_json(value or b"")
        except ValidationError:  # only the service writes here; a stray message is skipped, never shown
            log.warning("live message at %s[%s]@%s is unreadable; skipped", self.topic, partition, offset)
            return
        self.hub.publish(message)
