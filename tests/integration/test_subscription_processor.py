"""The subscriptions processor on a real worker and broker, driven through Kafka as another system would.

Subscriber events are produced straight onto the subscriber event topic; what the BirthingPerson agent made of
them is read back from its outcome and event topics, and the person's state through the API.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.support.stack import Deployment

SUBSCRIBED, UNSUBSCRIBED = "subscriber.subscribed_to", "subscriber.unsubscribed_from"


class Kafka:
    """Our topics of one deployment, as an outside client sees them."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)

    def topic(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    async def produce(self, name: str, key: str, value: bytes) -> None:
        await self.producer.send_and_wait(self.topic(name), value, key=key.encode())

    async def read(
        self, name: str, until: Callable[[list[dict[str, Any]]], bool], *, within: float = 20.0
    ) -> list[dict[str, Any]]:
        """Every JSON message of the topic from its start, once `until` accepts them (or the time is up)."""
        consumer = AIOKafkaConsumer(self.topic(name), bootstrap_servers=self.bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        try:
            while not until(seen) and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                seen += [json.loads(record.value) for records in batches.values() for record in records]
        finally:
            await consumer.stop()
        return seen


@pytest.fixture
async def broker(own_deployment: Deployment) -> AsyncIterator[Kafka]:
    stack = own_deployment.stack
    kafka = Kafka(stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"], stack.env["LABOUR_TRACKER_TOPIC_PREFIX"])
    await kafka.producer.start()
    yield kafka
    await kafka.producer.stop()


def subscriber_event(kind: str, subscriber_id: str, person_id: str, *, version: int = 1) -> tuple[str, bytes]:
    """A subscriber event as the Subscriber agent publishes it: (its id, the message)."""
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "type": kind,
        "version": version,
        "aggregate_id": subscriber_id,
        "time": datetime.now(UTC).isoformat(),
        "causation_id": f"command-{event_id}",
        "data": {"subscriber_id": subscriber_id, "birthing_person_id": person_id},
    }
    return event_id, json.dumps(event).encode()


async def register_person(kafka: Kafka) -> str:
    person_id = f"bp-{uuid.uuid4().hex[:12]}"
    command = {
        "id": f"register-{person_id}",
        "type": "birthing_person.register",
        "aggregate_id": person_id,
        "data": {"first_name": "Bea", "last_name": "Moyo"},
    }
    await kafka.produce("birthing_person.commands", person_id, json.dumps(command).encode())
    return person_id


def outcomes_of(person_id: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [each for each in messages if each["aggregate_id"] == person_id]


async def person_subscribers(
    own_deployment: Deployment, person_id: str, http: aiohttp.ClientSession
) -> list[str] | None:
    """Who follows the person or asks to (a subscribe is a follow request); None while the registration sent straight
    to Kafka is not applied yet."""
    person = own_deployment.callers(http)("Bea", "Moyo", user_id=person_id)
    answer = await person.get("/birthing-person/")
    if answer.status == 404 and answer.body["code"] == "birthing_person_not_found":
        return None
    assert answer.status == 200, answer.body
    record = answer.body["birthing_person"]
    return sorted([*record["subscribers"], *record["follow_requests"]])


async def test_redelivered_and_reordered_subscriber_events_leave_exactly_the_right_subscribers(
    own_deployment: Deployment, broker: Kafka, http: aiohttp.ClientSession
) -> None:
    person_id = await register_person(broker)
    sam, kim, ola = (f"sub-{name}-{uuid.uuid4().hex[:8]}" for name in ("sam", "kim", "ola"))

    sam_joins = subscriber_event(SUBSCRIBED, sam, person_id)
    kim_joins, kim_leaves, kim_rejoins = (
        subscriber_event(kind, kim, person_id, version=version)
        for version, kind in enumerate([SUBSCRIBED, UNSUBSCRIBED, SUBSCRIBED], start=2)
    )
    ola_joins, ola_leaves = (
        subscriber_event(kind, ola, person_id, version=version)
        for version, kind in enumerate([SUBSCRIBED, UNSUBSCRIBED], start=2)
    )
    deliveries = [
        (sam, sam_joins),
        (sam, sam_joins),  # redelivered
        (kim, kim_joins),
        (kim, kim_leaves),
        (kim, kim_rejoins),
        (ola, ola_joins),
        (ola, ola_leaves),
        (ola, ola_joins),  # redelivered late, after the unsubscribe: must not bring Ola back
    ]
    for key, (_, message) in deliveries:
        await broker.produce("subscriber.events", key, message)

    # Every delivery reaches the person's agent as a command named by the event id, and each is answered.
    expected_ids = sorted(event_id for _, (event_id, _) in deliveries)
    outcomes = outcomes_of(
        person_id,
        await broker.read(
            "birthing_person.outcomes", lambda seen: len(outcomes_of(person_id, seen)) >= 1 + len(deliveries)
        ),
    )
    applied = [each for each in outcomes if each["command_type"] != "birthing_person.register"]
    assert sorted(each["command_id"] for each in applied) == expected_ids
    assert all(each["status"] == "accepted" for each in outcomes)

    assert await person_subscribers(own_deployment, person_id, http) == sorted([sam, kim])

    # The person's own events: each change once (counted by event id, so a resent event is counted once).
    events = await broker.read(
        "birthing_person.events", lambda seen: sum(e["aggregate_id"] == person_id for e in seen) >= 7
    )
    changes = {
        e["id"]: e for e in events if e["aggregate_id"] == person_id and e["type"] != "birthing_person.registered"
    }
    history = [(e["type"], e["data"]["subscriber_id"]) for e in sorted(changes.values(), key=lambda e: e["version"])]
    added, removed = "birthing_person.follow_requested", "birthing_person.subscriber_removed"
    assert [kind for kind, who in history if who == sam] == [added]
    assert [kind for kind, who in history if who == kim] == [added, removed, added]
    assert [kind for kind, who in history if who == ola] == [added, removed]


async def test_a_malformed_subscriber_event_is_dead_lettered_and_the_processor_goes_on(
    own_deployment: Deployment, broker: Kafka, http: aiohttp.ClientSession
) -> None:
    person_id = await register_person(broker)
    tag = uuid.uuid4().hex[:8]
    sam, kim = f"sub-sam-{tag}", f"sub-kim-{tag}"
    _, no_person = subscriber_event(SUBSCRIBED, sam, person_id)
    broken = json.loads(no_person)
    del broken["data"]["birthing_person_id"]
    _, someone_elses = subscriber_event(SUBSCRIBED, sam, person_id)
    _, registered = subscriber_event("subscriber.registered", sam, person_id)

    await broker.produce("subscriber.events", f"junk-{tag}", b"{not json")
    await broker.produce("subscriber.events", sam, json.dumps(broken).encode())
    await broker.produce("subscriber.events", f"other-{tag}", someone_elses)  # key is not the subscriber
    await broker.produce("subscriber.events", sam, registered)  # not about membership: skipped
    await broker.produce("subscriber.events", sam, subscriber_event(SUBSCRIBED, sam, person_id)[1])
    await broker.produce("subscriber.events", kim, subscriber_event(SUBSCRIBED, kim, person_id)[1])

    # The good events after the bad ones, on the same partition and on others, are still applied.
    deadline = time.monotonic() + 20
    while (found := await person_subscribers(own_deployment, person_id, http)) != sorted([sam, kim]):
        assert time.monotonic() < deadline, f"subscribers still {found}"
        await asyncio.sleep(0.1)

    def ours(seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [each for each in seen if each["key"] is not None and tag in each["key"]]

    letters = ours(await broker.read("dead_letters", lambda seen: len(ours(seen)) >= 3))
    assert {each["topic"] for each in letters} == {broker.topic("subscriber.events")}
    assert sorted((each["key"], each["reason"]) for each in letters) == sorted(
        [
            (f"junk-{tag}", "not a valid event envelope"),
            (sam, "invalid data for subscriber.subscribed_to"),
            (f"other-{tag}", "the key, aggregate_id and subscriber_id must be the same subscriber id"),
        ]
    ), "each bad message parked once with its reason; the skipped event is not one of them"
    junk = next(each for each in letters if each["key"] == f"junk-{tag}")
    assert (junk["size"], junk["sha256"]) == (len(b"{not json"), hashlib.sha256(b"{not json").hexdigest())
