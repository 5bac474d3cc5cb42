"""The cap on messages to one destination an hour, counted where the count is kept.

Every message (news from the fan-out, confirmation codes from the subscriber agent) comes first to
`notifications.destinations`, keyed by a keyed digest of its phone number or address (`destination_digest`), so
all messages to one destination, from whichever subscriber account, reach one partition in order. There the
`destinations` table (co-partitioned, keyed by that digest) holds the times of the messages lately counted
against it, with their notification ids. Each delivery then goes on to `notifications.deliveries`, keyed by its
notification id, as it is or, over the cap, marked `withheld` so that the sender records it as failed with the
reason and sends nothing. Nothing is dropped in silence.

Idempotent: a delivery that comes again finds its id counted and goes on as before; the sender sends each id once.
A message is acknowledged only once the broker has its count and the delivery handed on, so a worker that stops
in between counts and hands it on again. A delivery the agent cannot read is parked on the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import faust

from labour_tracker.agents.notification_sender import valid_delivery
from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain.limits import Rate
from labour_tracker.domain.notification.destination import (
    DestinationLog,
    Verdict,
    admit,
    destination_digest,
    messages_per_destination,
)
from labour_tracker.engine.handler import Publication
from labour_tracker.engine.parking import Unusable, parked_on_failure, readable_key
from labour_tracker.engine.pipeline import IN_FLIGHT
from labour_tracker.messages.notifications import NotificationDelivery
from labour_tracker.metrics import notifications_withheld_total
from labour_tracker.tables.aggregates import Tables
from labour_tracker.tables.records import AggregateRecord
from labour_tracker.topics import Topics

log = logging.getLogger(__name__)


def to_destination(destinations_topic: faust.TopicT, secret: bytes, delivery: NotificationDelivery) -> Publication:
    """Where a delivery goes first: the destinations topic, under its destination's keyed digest."""
    key = destination_digest(secret, delivery.channel, delivery.destination)
    return destinations_topic, key, delivery.model_dump_json().encode()


class DestinationCap:
    """Counts each delivery against its destination's cap, then hands it on to the sender, withheld if over it."""

    def __init__(
        self,
        table: faust.types.tables.TableT,  # type: ignore[type-arg]
        deliveries: faust.TopicT,
        dead_letters: faust.TopicT,
        secret: bytes,
        cap: Rate,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.table = table
        self.deliveries = deliveries
        self.dead_letters = dead_letters
        self.secret = secret
        self.cap = cap
        self.clock = clock

    async def handle(
        self, key: str | None, value: bytes | None, message: faust.types.tuples.Message
    ) -> list[Awaitable[Any]]:
        """Count one delivery and send it on; returns the broker's acknowledgements of what it wrote (its count and
        the delivery handed on), to await before the message is acknowledged. The count is in the table at once,
        so the next delivery is counted against it."""
        step = self._pass(key, value, message)
        return await parked_on_failure(step, self.dead_letters, key, value, message, self.clock) or []

    async def _pass(
        self, key: str | None, value: bytes | None, message: faust.types.tuples.Message
    ) -> list[Awaitable[Any]]:
        delivery = valid_delivery(value)
        digest = destination_digest(self.secret, delivery.channel, delivery.destination)
        if key != digest:  # its count is kept on the key's partition
            raise Unusable("the key must be the keyed digest of the delivery's destination")
        record: AggregateRecord[DestinationLog] = self.table.get(digest) or AggregateRecord()
        counted = record.state or DestinationLog(digest)
        admission = admit(counted, delivery.notification_id, self._sent_at(message), self.cap)
        written: list[Awaitable[Any]] = []
        if admission.log is not counted:  # counted now (without a cap, or counted before, nothing changes)
            changed = replace(record, state=admission.log, version=record.version + 1)
            self.table.data[digest] = changed
            written.append(self.table.send_changelog(message.partition, digest, changed))
        if admission.verdict is Verdict.WITHHELD:
            delivery = delivery.model_copy(update={"withheld": admission.reason})
            notifications_withheld_total.labels(channel=delivery.channel.value).inc()
            log.info("notification %s withheld: its destination reached its cap", delivery.notification_id)
        written.append(
            await self.deliveries.send(key=delivery.notification_id, value=delivery.model_dump_json().encode())
        )
        return written

    def _sent_at(self, message: faust.types.tuples.Message) -> datetime:
        """When the message was sent (its record's timestamp), never later than now: a delivery that comes again is
        counted at the same moment."""
        now = self.clock()
        if not message.timestamp or message.timestamp <= 0:
            return now
        return min(datetime.fromtimestamp(message.timestamp, UTC), now)


def notification_destinations(app: LabourTrackerApp, topics: Topics, tables: Tables) -> Any:
    settings = app.settings
    cap = DestinationCap(
        tables.destinations,
        topics.notification_deliveries,
        topics.dead_letters,
        settings.subscription_token_secret.encode(),
        messages_per_destination(settings.messages_per_destination_per_hour),
    )

    # Concurrency 1: a destination's messages are counted in the order they came, and the table is written here only.
    # Each is counted while the broker confirms what the ones before it wrote; a message is acknowledged, in order,
    # once the broker has its count and the delivery it handed on.
    async def notification_destinations_agent(stream: faust.StreamT[bytes]) -> None:
        written: asyncio.Queue[tuple[faust.EventT[bytes], list[Awaitable[Any]]]] = asyncio.Queue(IN_FLIGHT)

        async def acknowledge() -> None:
            try:
                while True:
                    event, confirmations = await written.get()
                    for each in confirmations:
                        await each
                    await stream.ack(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker refused: what was counted in memory is ahead of Kafka
                log.exception("the notification_destinations agent could not write")
                await app.crash(error)

        acknowledging = asyncio.create_task(acknowledge())
        try:
            async for event in cast(faust.Stream[bytes], stream).noack().events():  # `acknowledge` acks
                confirmations = await cap.handle(readable_key(event.key), event.value, event.message)
                await written.put((event, confirmations))
        finally:
            acknowledging.cancel()

    return app.agent(topics.notification_destinations, name="notification_destinations")(
        notification_destinations_agent
    )
