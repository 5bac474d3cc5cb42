"""Who is told about what: each labour event subscribers hear of becomes one notification per subscriber and channel.

Two steps, each on the partition that holds what it reads:
1. The birthing person's agent, as it publishes a command's events, publishes for each trigger event one request
   per subscriber the person has (`notification_requests`) on `notifications.requests`, keyed by subscriber id.
   The broker has them before the command's record is stored, as it has the events.
2. A request (co-partitioned with the subscriber table) becomes one delivery per contact method the subscriber has
   now, with the notification's deterministic id, on `notifications.destinations`, keyed by a keyed digest of its
   destination: counted there against the cap on messages to one destination (`notification_destinations`), it
   goes on to the sender. A resend, asked by the sender for a failed notification, is a request naming one channel
   and its number: the one delivery it makes, if that channel is still chosen and confirmed, carries the resend's id.

Both are idempotent: a command decided again publishes the same requests, a redelivered request makes the same
deliveries with the same ids, and the sender sends each id once. A request the agent cannot read is parked on the
dead-letter topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
from pydantic import ValidationError

from labour_tracker.agents.notification_destinations import to_destination
from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain import labour
from labour_tracker.domain.labour.events import LabourCompleted, LabourUpdatePosted
from labour_tracker.domain.notification import CONFIRMATION_CODE, TRIGGERS, is_news, notification_id, resend_id
from labour_tracker.domain.subscriber import confirmation_code
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber
from labour_tracker.engine.handler import Publication
from labour_tracker.engine.parking import Unusable, parked_on_failure, readable_key
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.notifications import NotificationDelivery, NotificationRequest
from labour_tracker.tables.aggregates import Tables
from labour_tracker.topics import Topics

LABOUR_COMPLETED = LabourCompleted.TYPE  # its news carries the person's completion note
UPDATE_POSTED = LabourUpdatePosted.TYPE  # an announcement's news carries its message, a quick one its moment

EVERYONE = frozenset(labour.Role)
BIRTH_PARTNERS = frozenset({labour.Role.BIRTH_PARTNER})
# Event type -> the roles of the followers told of it. A type not listed here (a new kind of news, such as the
# person's announcements) is told to everyone who follows; pending follow requests are told nothing.
AUDIENCE: dict[str, frozenset[labour.Role]] = {
    labour.LabourBegun.TYPE: EVERYONE,
    labour.LabourCompleted.TYPE: EVERYONE,
    labour.PrepareForHospitalRecommended.TYPE: BIRTH_PARTNERS,
    labour.HospitalRecommended.TYPE: BIRTH_PARTNERS,
    labour.UrgentAttentionAdvised.TYPE: BIRTH_PARTNERS,
}


def told_of(person: labour.BirthingPerson, event_type: str) -> list[str]:
    """The followers told of an event of this type, by their role, in a stable order."""
    audience = AUDIENCE.get(event_type, EVERYONE)
    return [each for each in sorted(person.subscribers) if person.role_of(each) in audience]


def notification_requests(
    requests_topic: faust.TopicT, person: labour.BirthingPerson | None, events: Sequence[EventEnvelope]
) -> list[Publication]:
    """Step 1, the birthing person's follow-ups: a request on `notifications.requests` for each event subscribers
    are told about and each follower whose role hears of it (`AUDIENCE`), keyed by subscriber id, in a stable
    order."""
    requests = []
    for event in events:
        if not is_news(event.type, event.data.get("kind")) or person is None:
            continue
        for subscriber_id in told_of(person, event.type):
            request = NotificationRequest(
                event_id=event.id,
                event_type=event.type,
                event_time=event.time,
                birthing_person_id=person.id,
                birthing_person_first_name=person.first_name,
                birthing_person_last_name=person.last_name,
                labour_id=event.data["labour_id"],  # every trigger is about a labour
                subscriber_id=subscriber_id,
                note=_note(event),
                moment=event.data.get("moment") if event.type == UPDATE_POSTED else None,
                update_id=event.data.get("update_id") if event.type == UPDATE_POSTED else None,
            )
            requests.append((requests_topic, subscriber_id, request.model_dump_json().encode()))
    return requests


def _note(event: EventEnvelope) -> str | None:
    """The person's own words the news carries: a completion note, or an announcement's message."""
    if event.type == LABOUR_COMPLETED:
        return event.data.get("notes")
    return event.data.get("message") if event.type == UPDATE_POSTED else None


def request_notification_id(request: NotificationRequest, subscriber_id: str, channel: ContactMethod) -> str:
    """The id of the notification a request makes on a channel: the event's, or for a resend, that resend's."""
    original = notification_id(request.event_id, subscriber_id, channel)
    return resend_id(original, request.resend) if request.resend else original


def deliveries_for(request: NotificationRequest, subscriber: Subscriber) -> list[NotificationDelivery]:
    """One delivery per contact method the subscriber has chosen for the person (or, without a choice, for their
    account), confirmed and can be reached by; none if they unsubscribed. A destination not confirmed is never sent
    news: anyone could have typed it."""
    if request.birthing_person_id not in subscriber.subscribed_to:
        return []  # unsubscribed since the event: their side is the source of truth
    channels = subscriber.contact_methods_for(request.birthing_person_id) & subscriber.confirmed
    if request.channel is not None:  # a resend: that channel only, if it is still chosen and confirmed
        channels &= {request.channel}
    return [
        NotificationDelivery(
            notification_id=request_notification_id(request, subscriber.id, channel),
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
            destination=destination,
            resend=request.resend,
            note=request.note,
            moment=request.moment,
            update_id=request.update_id,
        )
        for channel in sorted(channels)
        if (destination := subscriber.destination(channel))
    ]


def confirmation_codes(
    destinations_topic: faust.TopicT, secret: bytes, state: Subscriber | None, events: Sequence[EventEnvelope]
) -> list[Publication]:
    """The subscriber's follow-ups: each code the command asked for, to its destination, by way of the cap on
    messages to one destination (the code is made again from the command's id; the event holds only its digest)."""
    messages = []
    for event in events:
        if event.type != CONFIRMATION_CODE or event.causation_id is None or state is None:
            continue
        channel = ContactMethod(event.data["channel"])
        destination = state.destination(channel)
        if destination is None:
            continue
        delivery = NotificationDelivery(
            notification_id=notification_id(event.id, state.id, channel),
            event_id=event.id,
            event_type=event.type,
            event_time=event.time,
            subscriber_id=state.id,
            subscriber_first_name=state.first_name,
            subscriber_last_name=state.last_name,
            channel=channel,
            destination=destination,
            code=confirmation_code(secret, state.id, event.causation_id),
        )
        messages.append(to_destination(destinations_topic, secret, delivery))
    return messages


class NotificationFanOut:
    """Step 2: a request becomes one delivery per contact method, sent by way of its destination's cap."""

    def __init__(
        self,
        subscribers: faust.types.tables.TableT,  # type: ignore[type-arg]
        destinations: faust.TopicT,
        dead_letters: faust.TopicT,
        secret: bytes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.subscribers = subscribers
        self.destinations = destinations
        self.dead_letters = dead_letters
        self.secret = secret  # keys each destination's digest
        self.clock = clock

    async def on_request(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        await parked_on_failure(self._deliveries(key, value), self.dead_letters, key, value, message, self.clock)

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
            raise Unusable("no such subscriber on this partition: erased since, or never registered")
        # Sent, then awaited: the request is only committed once the broker has every delivery.
        sent = [
            await topic.send(key=key, value=value)
            for topic, key, value in (
                to_destination(self.destinations, self.secret, each) for each in deliveries_for(request, record.state)
            )
        ]
        await asyncio.gather(*sent)


def notification_fan_out(app: LabourTrackerApp, topics: Topics, tables: Tables) -> Any:
    secret = app.settings.subscription_token_secret.encode()
    fan_out = NotificationFanOut(tables.subscribers, topics.notification_destinations, topics.dead_letters, secret)

    # Concurrency 1: a subscriber's requests are handled in the order they were made.
    async def notification_deliveries_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await fan_out.on_request(readable_key(event.key), event.value, event.message)

    return app.agent(topics.notification_requests, name="notification_deliveries")(notification_deliveries_agent)
