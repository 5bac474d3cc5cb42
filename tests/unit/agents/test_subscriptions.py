"""Which birthing-person command each subscriber event becomes, and what is skipped or dead-lettered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from labour_tracker.agents.subscriptions import (
    SubscriptionProcessor,
    membership_commands,
    subscriber_side,
)
from labour_tracker.engine.parking import Unusable
from labour_tracker.messages.envelopes import CommandEnvelope, DeadLetter, EventEnvelope

SAM, BEA = "sam-sub", "bea-bp"
NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)


def event(kind: str = "subscriber.subscribed_to", **changes: Any) -> dict[str, Any]:
    return {
        "id": "4b1c1f0e-6a4e-5c43-9d7a-0d5c1e0f2a11",
        "type": kind,
        "version": 2,
        "aggregate_id": SAM,
        "time": NOW.isoformat(),
        "causation_id": "c-1",
        "data": {"subscriber_id": SAM, "birthing_person_id": BEA},
        **changes,
    }


def raw(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("kind", "command_type"),
    [
        ("subscriber.subscribed_to", "birthing_person.add_subscriber"),
        ("subscriber.unsubscribed_from", "birthing_person.remove_subscriber"),
    ],
)
def test_a_membership_event_becomes_the_persons_command_keyed_by_the_person_and_named_by_the_event(
    kind: str, command_type: str
) -> None:
    [command] = membership_commands(SAM, raw(event(kind)))

    assert command == CommandEnvelope(
        id=event()["id"], type=command_type, aggregate_id=BEA, data={"subscriber_id": SAM}
    )


@pytest.mark.parametrize("kind", ["subscriber.registered", "subscriber.contact_methods_updated", "something.new"])
def test_other_events_are_skipped(kind: str) -> None:
    assert membership_commands(SAM, raw(event(kind, data={}))) == []


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (SAM, b"{not json", "not a valid event envelope"),
        (SAM, raw({**event(), "version": 0}), "not a valid event envelope"),
        (SAM, raw(event(data={"subscriber_id": SAM})), "invalid data for subscriber.subscribed_to"),
        (SAM, raw(event(data={"subscriber_id": SAM, "birthing_person_id": 7})), "invalid data"),
        ("kim-sub", raw(event()), "must be the same subscriber id"),
        (SAM, raw(event(data={"subscriber_id": "kim-sub", "birthing_person_id": BEA})), "same subscriber id"),
        (SAM, raw(event(data={"subscriber_id": SAM, "birthing_person_id": ""})), "cannot make"),
        (SAM, raw(event(id="has spaces")), "cannot make"),
    ],
)
def test_a_malformed_event_is_refused_with_a_reason(key: str, value: bytes, reason: str) -> None:
    with pytest.raises(Unusable, match=reason):
        membership_commands(key, value)


class Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str | None, bytes]] = []

    async def send(self, *, key: str | None, value: bytes) -> None:
        self.messages.append((key, value))


def run(work: Coroutine[Any, Any, None]) -> None:
    """On a loop of its own: the session's loop is not this test's to share or to replace."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(work)
    finally:
        loop.close()


def test_the_processor_sends_the_command_or_parks_the_message_and_goes_on() -> None:
    commands, dead_letters = Sent(), Sent()
    processor = SubscriptionProcessor(commands, dead_letters, clock=lambda: NOW)  # type: ignore[arg-type]
    message = SimpleNamespace(topic="x.subscriber.events", partition=1, offset=7)

    for value in [b"{not json", raw(event("subscriber.registered")), raw(event())]:
        run(processor.handle(SAM, value, message))  # type: ignore[arg-type]

    [(key, value)] = commands.messages
    assert key == BEA
    assert CommandEnvelope.model_validate_json(value).type == "birthing_person.add_subscriber"
    [(parked_key, parked)] = dead_letters.messages
    letter = DeadLetter.model_validate_json(parked)
    assert (parked_key, letter.topic, letter.offset, letter.size) == (SAM, "x.subscriber.events", 7, len(b"{not json"))
    assert letter.reason == "not a valid event envelope"


def test_the_token_version_a_subscribe_was_authorised_with_goes_to_the_person() -> None:
    subscribed = event(data={"subscriber_id": SAM, "birthing_person_id": BEA, "token_version": 3})
    [command] = membership_commands(SAM, raw(subscribed))
    assert command.data == {"subscriber_id": SAM, "token_version": 3}


def test_an_erased_subscriber_is_removed_from_every_person_they_followed() -> None:
    erased = event("subscriber.erased", data={"subscriber_id": SAM, "birthing_person_ids": [BEA, "kim"]})

    commands = membership_commands(SAM, raw(erased))

    assert [(each.aggregate_id, each.type, each.data, each.id) for each in commands] == [
        (person, "birthing_person.remove_subscriber", {"subscriber_id": SAM}, erased["id"]) for person in (BEA, "kim")
    ]


def test_an_erased_persons_subscribers_are_each_told_to_forget_them_by_the_persons_follow_up() -> None:
    erased = EventEnvelope(
        id="e-erased", type="birthing_person.erased", version=9, aggregate_id=BEA, time=NOW, causation_id="c-erase",
        data={"birthing_person_id": BEA, "subscriber_ids": [SAM, "kim-sub"]},
    )  # fmt: skip
    commands: Any = "subscriber commands"

    sent = subscriber_side(commands, [erased])

    assert [(topic, key) for topic, key, _ in sent] == [(commands, SAM), (commands, "kim-sub")]
    assert [CommandEnvelope.model_validate_json(value) for _, _, value in sent] == [
        CommandEnvelope(
            id="e-erased",
            type="subscriber.forget_birthing_person",
            aggregate_id=each,
            data={"birthing_person_id": BEA},
        )
        for each in (SAM, "kim-sub")
    ]


def test_a_subscriber_turned_away_is_unsubscribed_on_their_side_by_the_persons_follow_up() -> None:
    turned_away = EventEnvelope(
        id="e-turned", type="birthing_person.subscriber_turned_away", version=4, aggregate_id=BEA, time=NOW,
        causation_id="c-add", data={"birthing_person_id": BEA, "subscriber_id": SAM},
    )  # fmt: skip
    other = turned_away.model_copy(update={"type": "birthing_person.subscriber_added"})
    commands: Any = "subscriber commands"

    [(topic, key, value)] = subscriber_side(commands, [other, turned_away])

    assert (topic, key) == (commands, SAM)
    assert CommandEnvelope.model_validate_json(value) == CommandEnvelope(
        id="e-turned", type="subscriber.unsubscribe_from", aggregate_id=SAM, data={"birthing_person_id": BEA}
    )


def test_a_rejected_follow_request_makes_the_subscribers_side_let_go() -> None:
    rejected = EventEnvelope(
        id="e-rejected", type="birthing_person.follow_request_rejected", version=5, aggregate_id=BEA, time=NOW,
        causation_id="c-reject", data={"birthing_person_id": BEA, "subscriber_id": SAM},
    )  # fmt: skip
    commands: Any = "subscriber commands"

    [(topic, key, value)] = subscriber_side(commands, [rejected])

    assert (topic, key) == (commands, SAM)
    assert CommandEnvelope.model_validate_json(value) == CommandEnvelope(
        id="e-rejected", type="subscriber.forget_birthing_person", aggregate_id=SAM, data={"birthing_person_id": BEA}
    )
