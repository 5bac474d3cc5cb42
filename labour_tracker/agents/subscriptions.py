"""Subscriptions reach the birthing person: `subscriber.subscribed_to` / `unsubscribed_from` re-keyed by person id.

Each such event becomes an `add_subscriber` / `remove_subscriber` command on the birthing-person command topic,
keyed by the person's id, so the BirthingPerson agent (co-partitioned with its table, its only writer) applies it;
`subscriber.erased` becomes a `remove_subscriber` for each person the subscriber followed. The command id is the
event's id: a redelivered event is recognised by that agent and applied once. One subscriber's events are in
order on one partition and this agent sends them in that order, so the last word on each (subscriber, person)
pair wins and both sides converge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
from pydantic import ValidationError

from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain import labour, subscriber
from labour_tracker.engine.handler import Publication
from labour_tracker.engine.parking import Unusable, parked_on_failure, readable_key
from labour_tracker.messages.codec import from_data
from labour_tracker.messages.envelopes import CommandEnvelope, EventEnvelope
from labour_tracker.topics import Topics

Membership = subscriber.SubscribedTo | subscriber.UnsubscribedFrom
T = TypeVar("T")

# Event type -> (its data, the birthing-person command it becomes); every other subscriber event is skipped.
MEMBERSHIP_COMMANDS: dict[str, tuple[type[Membership], str]] = {
    subscriber.SubscribedTo.TYPE: (subscriber.SubscribedTo, labour.AddSubscriber.TYPE),
    subscriber.UnsubscribedFrom.TYPE: (subscriber.UnsubscribedFrom, labour.RemoveSubscriber.TYPE),
}


def membership_commands(key: str | None, value: bytes | None) -> list[CommandEnvelope]:
    """The birthing-person commands a subscriber event calls for; none for events that change no membership."""
    try:
        event = EventEnvelope.model_validate_json(value or b"")
    except ValidationError:
        raise Unusable("not a valid event envelope") from None
    if event.type == subscriber.SubscriberErased.TYPE:
        erased = _event_data(subscriber.SubscriberErased, event, key)
        changes = [(person, {"subscriber_id": erased.subscriber_id}) for person in erased.birthing_person_ids]
        return [_person_command(event, labour.RemoveSubscriber.TYPE, *each) for each in changes]
    if event.type not in MEMBERSHIP_COMMANDS:
        return []
    data_type, command_type = MEMBERSHIP_COMMANDS[event.type]
    change = _event_data(data_type, event, key)
    return [_person_command(event, command_type, change.birthing_person_id, _membership_data(change))]


def _event_data(data_type: type[T], event: EventEnvelope, key: str | None) -> T:
    """The event's data, of the subscriber the event is keyed by."""
    try:
        data = from_data(data_type, event.data)
    except ValidationError:
        raise Unusable(f"invalid data for {event.type}") from None
    if getattr(data, "subscriber_id", None) != event.aggregate_id or (key is not None and key != event.aggregate_id):
        raise Unusable("the key, aggregate_id and subscriber_id must be the same subscriber id")
    return data


def _person_command(event: EventEnvelope, command_type: str, person_id: str, data: dict[str, Any]) -> CommandEnvelope:
    try:
        return CommandEnvelope(id=event.id, type=command_type, aggregate_id=person_id, data=data)
    except ValidationError:
        raise Unusable("the event id or birthing_person_id cannot make a birthing-person command") from None


# The person's events that call for a command on a subscriber's side: the command's type, and the subscribers named.
SUBSCRIBER_SIDE: dict[str, tuple[str, Callable[[EventEnvelope], list[str]]]] = {
    # A subscribe checked against a token rotated since: undone on the subscriber's side.
    labour.SubscriberTurnedAway.TYPE: (subscriber.UnsubscribeFrom.TYPE, lambda event: [event.data["subscriber_id"]]),
    # The person erased themselves, or removed a follower: the subscribers let go of them.
    labour.BirthingPersonErased.TYPE: (
        subscriber.ForgetBirthingPerson.TYPE,
        lambda event: list(event.data["subscriber_ids"]),
    ),
    labour.FollowerRemoved.TYPE: (subscriber.ForgetBirthingPerson.TYPE, lambda event: [event.data["subscriber_id"]]),
    # The person turned a follow request down: the subscriber lets go of them as of a removed follower.
    labour.FollowRequestRejected.TYPE: (
        subscriber.ForgetBirthingPerson.TYPE,
        lambda event: [event.data["subscriber_id"]],
    ),
}


def subscriber_side(subscriber_commands: faust.TopicT, events: Sequence[EventEnvelope]) -> list[Publication]:
    """The birthing person's follow-ups on their subscribers' side (`SUBSCRIBER_SIDE`), each command named by the
    event's id, so a command decided again sends the same ones."""
    publications: list[Publication] = []
    for event in events:
        if event.type not in SUBSCRIBER_SIDE:
            continue
        command_type, named = SUBSCRIBER_SIDE[event.type]
        for subscriber_id in named(event):
            command = CommandEnvelope(
                id=event.id,
                type=command_type,
                aggregate_id=subscriber_id,
                data={"birthing_person_id": event.aggregate_id},
            )
            publications.append((subscriber_commands, subscriber_id, command.model_dump_json().encode()))
    return publications


def _membership_data(change: Membership) -> dict[str, Any]:
    """The person's command's data: the subscriber, and the token version a subscribe was authorised with."""
    data: dict[str, Any] = {"subscriber_id": change.subscriber_id}
    if isinstance(change, subscriber.SubscribedTo) and change.token_version is not None:
        data["token_version"] = change.token_version
    return data


class SubscriptionProcessor:
    """Forwards membership changes to the birthing-person command topic; parks what it cannot read."""

    def __init__(
        self,
        commands: faust.TopicT,
        dead_letters: faust.TopicT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.commands = commands
        self.dead_letters = dead_letters
        self.clock = clock

    async def handle(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        commands = await parked_on_failure(
            self._commands(key, value), self.dead_letters, key, value, message, self.clock
        )
        for command in commands or ():  # sent outside: the broker away stops the agent rather than parking the event
            await self.commands.send(key=command.aggregate_id, value=command.model_dump_json().encode())

    async def _commands(self, key: str | None, value: bytes | None) -> list[CommandEnvelope]:
        return membership_commands(key, value)


def subscriptions(app: LabourTrackerApp, topics: Topics) -> Any:
    processor = SubscriptionProcessor(topics.birthing_person_commands, topics.dead_letters)

    # Concurrency 1: one subscriber's events must reach the person's partition in the order they happened.
    async def subscriptions_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await processor.handle(readable_key(event.key), event.value, event.message)

    return app.agent(topics.subscriber_events, name="subscriptions")(subscriptions_agent)
