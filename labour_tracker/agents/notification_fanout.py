"""Who is told about what: each labour event subscribers hear of becomes one notification per subscriber and channel.

Two steps, each on the partition that holds what it reads:
1. A trigger event on `birthing_person.events` (keyed by person id, co-partitioned with the person table) becomes
   one request per current subscriber on `notifications.requests`, keyed by subscriber id.
2. A request (co-partitioned with the subscriber table) becomes one delivery per contact method the subscriber has
   now, on `notifications.deliveries`, keyed by the notification's deterministic id.

Both are idempotent: a redelivered event makes the same requests, a redelivered request the same deliveries with
the same ids, and the sender sends each id once. A message either cannot read is parked on the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

import faust
from pydantic import ValidationError

from labour_tracker.agents import topics
from labour_tracker.agents.command_handler import dead_letter, readable_key
from labour_tracker.app import app
from labour_tracker.domain import labour
from labour_tracker.domain.notification import TRIGGERS, notification_id
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber
from labour_tracker.messages.codec import from_data
from labour_tracker.messages.envelopes import EventEnvelope, Message
from labour_tracker.messages.notifications import NotificationDelivery, NotificationRequest
from labour_tracker.tables.birthing_persons import birthing_persons
from labour_tracker.tables.subscribers import subscribers

log = logging.getLogger(__name__)


class Unusable(Exception):
    """The message cannot be acted on; the text says why (it never quotes the message)."""


def requests_for(event: EventEnvelope, person: labour.BirthingPerson) -> list[NotificationRequest]:
    """One request per subscriber the person has now, in a stable order."""
    try:
        labour_event = from_data(labour.EVENT_TYPES[event.type], event.data)
    except ValidationError:
        raise Unusable(f"invalid data for {event.type}") from None
    if labour_event.birthing_person_id != event.aggregate_id:
        raise Unusable("the event's aggregate_id and birthing_person_id differ")
    labour_id: str = getattr(labour_event, "labour_id", "")
    try:
        return [
            NotificationRequest(
                event_id=event.id,
                event_type=event.type,
                event_time=event.time,
                birthing_person_id=person.id,
                birthing_person_first_name=person.first_name,
                birthing_person_last_name=person.last_name,
                labour_id=labour_id,
                subscriber_id=subscriber_id,
            )
            for subscriber_id in sorted(person.subscribers)
        ]
    except ValidationError:
        raise Unusable("the event cannot make a notification request") from None


def deliveries_for(request: NotificationRequest, subscriber: Subscriber) -> list[NotificationDelivery]:
    """One delivery per contact method the subscriber has chosen and can be reached by; none if they unsubscribed."""
    if request.birthing_person_id not in subscriber.subscribed_to:
        return []  # unsubscribed since the event: their side is the source of truth
    destinations = {ContactMethod.SMS: subscriber.phone_number, ContactMethod.EMAIL: subscriber.email}
    return [
        NotificationDelivery(
            notification_id=notification_id(request.event_id, subscriber.id, channel),
            event_id=request.event_id,
            event_type=request.event_type,
            event_time=request.event_time,
            birthing_person_id=request.birthing_person_id,
            birthing_person_first_name=request.birthing_person_first_name,
            birthing_person_last_name=request.birthing_person_last_name,
            labour_id=request.labour_id,
            subscriber_id=subscriber.id,
            subscriber_first_name=subscriber.first_name,
            subscriber_last_name=subscriber.last_name,
            channel=channel,
            destination=destination.strip(),
        )
        for channel in sorted(subscriber.contact_methods)
        if (destination := destinations[channel]) and destination.strip()
    ]


class NotificationFanOut:
    def __init__(
        self,
        persons: faust.types.tables.TableT,  # type: ignore[type-arg]
        subscribers: faust.types.tables.TableT,  # type: ignore[type-arg]
        requests: faust.TopicT,
        deliveries: faust.TopicT,
        dead_letters: faust.TopicT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.persons = persons
        self.subscribers = subscribers
        self.requests = requests
        self.deliveries = deliveries
        self.dead_letters = dead_letters
        self.clock = clock

    async def on_person_event(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        """Step 1: a trigger event becomes one request per subscriber; every other event is skipped."""
        await self._guarded(self._requests, key, value, message)

    async def on_request(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        """Step 2: a request becomes one delivery per contact method."""
        await self._guarded(self._deliveries, key, value, message)

    async def _requests(self, key: str | None, value: bytes | None) -> None:
        try:
            event = EventEnvelope.model_validate_json(value or b"")
        except ValidationError:
            raise Unusable("not a valid event envelope") from None
        if event.type not in TRIGGERS:
            return
        if key is not None and key != event.aggregate_id:
            raise Unusable("the key must be the event's aggregate_id")
        record = self.persons.get(event.aggregate_id)
        if record is None or record.state is None:
            raise Unusable("no such birthing person on this partition")
        await self._publish(self.requests, ((each.subscriber_id, each) for each in requests_for(event, record.state)))

    async def _deliveries(self, key: str | None, value: bytes | None) -> None:
        try:
            request = NotificationRequest.model_validate_json(value or b"")
        except ValidationError:
            raise Unusable("not a valid notification request") from None
        if request.event_type not in TRIGGERS:
            raise Unusable(f"subscribers are not told about {request.event_type}")
        if key is not None and key != request.subscriber_id:
            raise Unusable("the key must be the request's subscriber_id")
        record = self.subscribers.get(request.subscriber_id)
        if record is None or record.state is None:
            raise Unusable("no such subscriber on this partition")
        deliveries = deliveries_for(request, record.state)
        await self._publish(self.deliveries, ((each.notification_id, each) for each in deliveries))

    async def _publish(self, topic: faust.TopicT, messages: Iterable[tuple[str, Message]]) -> None:
        """Send and wait for the broker: the source message is only committed once these are safe."""
        pending = [await topic.send(key=key, value=each.model_dump_json().encode()) for key, each in messages]
        await asyncio.gather(*pending)

    async def _guarded(
        self,
        step: Callable[[str | None, bytes | None], Awaitable[None]],
        key: str | None,
        value: bytes | None,
        message: faust.types.tuples.Message,
    ) -> None:
        try:
            await step(key, value)
        except Unusable as error:
            await dead_letter(self.dead_letters, key, value, message, str(error), self.clock())
        except Exception as error:  # a bug must not stop the agent: park the message and say so
            log.exception("notification fan-out of %s[%s]@%s failed", message.topic, message.partition, message.offset)
            reason = f"internal error: {type(error).__name__}"
            await dead_letter(self.dead_letters, key, value, message, reason, self.clock())


fan_out = NotificationFanOut(
    birthing_persons, subscribers, topics.notification_requests, topics.notification_deliveries, topics.dead_letters
)


# Concurrency 1: a person's events, and then a subscriber's requests, are handled in the order they happened.
@app.agent(topics.birthing_person_events, name="notification_requests")
async def notification_requests_agent(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        await fan_out.on_person_event(readable_key(event.key), event.value, event.message)


@app.agent(topics.notification_requests, name="notification_deliveries")
async def notification_deliveries_agent(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        await fan_out.on_request(readable_key(event.key), event.value, event.message)
