"""Hostile records on every topic an agent consumes, produced by a plain Kafka client against a running worker.

Each poison message is answered (a rejected outcome, where the agent writes outcomes) and parked on the dead-letter
topic with a reason, or skipped where the agent's contract says so. Afterwards every agent still does its work,
and the worker is alive and ready. The barrage is sent at once and what comes out is read once, then each case is
checked on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.domain.notification import notification_id
from labour_tracker.domain.notification.destination import destination_digest
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.messages.envelopes import MAX_PARKED_KEY
from tests.support.kafka import create_topic
from tests.support.stack import Deployment, new_stack

# The broker keeps Kafka's default message.max.bytes (1,048,588) and a producer's requests are at most 1 MiB: with
# its key and the record's overhead, a value this size is about as large as any producer can put on a topic.
HUGE = 1_040_000
DEEP = 100_000  # nested arrays, far past any recursion limit
NESTED = 150  # nested arrays under the JSON parser's depth limit, so they are parsed and reach validation
LONG_ID = 10_000
PAD = "<pad>"  # grown to make the value HUGE
NOW = "2025-03-14T06:00:00Z"
RUN = uuid.uuid4().hex[:6]
SECRET = f"hostile-{uuid.uuid4().hex}"  # the deployment's: keys of the destinations topic are digests made with it

DEAD_LETTER = "dead letter"  # parked with a reason (and, on a command topic, answered as rejected)
SKIPPED = "skipped"  # read and ignored as the agent's contract says: nothing parked
FORWARDED = "forwarded"  # a subscriber event without a key is still a membership change: it reaches the person


@dataclass(frozen=True)
class Consumed:
    """A topic an agent consumes: what a message it acts on looks like, and what becomes of each kind of poison."""

    name: str  # without the prefix
    sample: Callable[[str], tuple[str, dict[str, Any]]]  # for an id: (key, value) of a message the agent acts on
    other_type: dict[str, str]  # makes the sample a type the agent does not act on
    expect: dict[str, str] = field(default_factory=dict)  # case -> expectation, where not DEAD_LETTER
    outcomes: str | None = None  # where the agent answers commands

    @property
    def commands(self) -> bool:
        return self.outcomes is not None


@dataclass(frozen=True)
class Hostile:
    topic: Consumed
    case: str
    key: bytes | None
    value: bytes | None
    aggregate_id: str | None = None  # whom the outcome names, on a command topic
    headers: list[tuple[str, bytes]] | None = None

    @property
    def id(self) -> str:
        return f"{self.topic.name}:{self.case}"

    @property
    def expect(self) -> str:
        return self.topic.expect.get(self.case, DEAD_LETTER)

    @property
    def text_key(self) -> str | None:
        return self.key.decode(errors="replace") if self.key is not None else None

    @property
    def named(self) -> str | None:
        """The aggregate id a command topic's outcome carries: the key as received (cut short if it is longer than
        any id can be), else the envelope's."""
        return self.text_key[:MAX_PARKED_KEY] if self.text_key is not None else self.aggregate_id


def dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def envelope_of_command(command_type: str, aggregate_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"h-{uuid.uuid4().hex[:8]}", "type": command_type, "aggregate_id": aggregate_id, "data": data}


def register_person(person: str) -> tuple[str, dict[str, Any]]:
    return person, envelope_of_command("birthing_person.register", person, {"first_name": "Ada", "last_name": "L"})


def register_subscriber(subscriber: str) -> tuple[str, dict[str, Any]]:
    data = {"contact_methods": ["email"], "first_name": "Sam", "last_name": "S", "email": "sam@example.com"}
    data["verified"] = ["email"]  # as the API sends it for a token whose issuer verified the address
    return subscriber, envelope_of_command("subscriber.register", subscriber, data)


def event(event_type: str, aggregate_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": event_type, "version": 1, "aggregate_id": aggregate_id, "time": NOW,
            "causation_id": "c-1", "data": data}  # fmt: skip


def subscribed(subscriber: str) -> tuple[str, dict[str, Any]]:
    """A membership change for a birthing person who does not exist."""
    data = {"subscriber_id": subscriber, "birthing_person_id": subscriber}
    return subscriber, event("subscriber.subscribed_to", subscriber, data)


def notification_request(subscriber: str) -> dict[str, Any]:
    """A request to tell a subscriber who does not exist."""
    return {"event_id": uuid.uuid4().hex, "event_type": "labour.begun", "event_time": NOW,
            "birthing_person_id": "p-1", "birthing_person_first_name": "Ada", "birthing_person_last_name": "L",
            "labour_id": "l-1", "subscriber_id": subscriber}  # fmt: skip


def keyed_request(subscriber: str) -> tuple[str, dict[str, Any]]:
    return subscriber, notification_request(subscriber)


def delivery(subscriber: str) -> tuple[str, dict[str, Any]]:
    """A notification to send: every hostile variant below breaks it, so none is ever sent."""
    body = notification_request(subscriber) | {
        "subscriber_first_name": "Sam", "subscriber_last_name": "S", "channel": "email",
        "destination": "sam@example.com",
    }  # fmt: skip
    body["notification_id"] = notification_id(body["event_id"], subscriber, ContactMethod.EMAIL)
    return body["notification_id"], body


def counted_delivery(subscriber: str) -> tuple[str, dict[str, Any]]:
    """A notification on its way to its destination's cap, keyed by the destination's keyed digest."""
    _, body = delivery(subscriber)
    return destination_digest(SECRET.encode(), ContactMethod.EMAIL, body["destination"]), body


REPLY_CASES = ("reply_to_missing_topic", "reply_to_same_topic", "reply_to_dead_letters", "reply_to_invalid_name",
               "reply_to_not_utf8", "correlation_not_utf8")  # fmt: skip
COMMAND_CODES = {
    "unknown_type": "unknown_command_type",
    "key_mismatch": "key_mismatch",
    "huge_key": "key_mismatch",
    "missing_key": "key_mismatch",
    "key_not_utf8": "key_mismatch",
    **{case: "accepted" for case in REPLY_CASES},
}
CONSUMED = [
    Consumed("birthing_person.commands", register_person, {"type": "labour.teleport"}, COMMAND_CODES,
             outcomes="birthing_person.outcomes"),
    Consumed("subscriber.commands", register_subscriber, {"type": "subscriber.teleport"}, COMMAND_CODES,
             outcomes="subscriber.outcomes"),
    # docs/kafka-contract.md, "Dead letters": a well-formed event other than a membership change is skipped. A
    # membership change is forwarded to the person's partition under the person's id: its own key places nothing.
    Consumed("subscriber.events", subscribed, {"type": "subscriber.teleported"},
             {"unknown_type": SKIPPED, "huge_type": SKIPPED, "missing_key": FORWARDED}),
    Consumed("notifications.requests", keyed_request, {"event_type": "labour.teleported"}),
    Consumed("notifications.destinations", counted_delivery, {"event_type": "labour.teleported"}),
    Consumed("notifications.deliveries", delivery, {"event_type": "labour.teleported"}),
]  # fmt: skip


def hostile_messages(topic: Consumed, replies: str, prefix: str) -> list[Hostile]:
    def made(case: str, key: str | bytes | None, value: bytes | None, **options: Any) -> Hostile:
        raw_key = key.encode() if isinstance(key, str) else key
        return Hostile(topic, case, raw_key, value, **options)

    def plain(case: str, value: bytes | None) -> Hostile:
        """Poison whatever the topic: the key is unique, so a command topic's outcome names it."""
        key = f"{RUN}-{topic.name}-{case}"
        return made(case, key, value, aggregate_id=key)

    def variant(case: str, change: Callable[[str, dict[str, Any]], tuple[str | bytes | None, Any]], *,
                subject: str | None = None, **options: Any) -> Hostile:  # fmt: skip
        """The topic's sample message for a fresh id, changed by `change(key, value) -> (key, value)`."""
        key, value = topic.sample(subject or f"{RUN}-{topic.name}-{case}")
        new_key, new_value = change(key, value)
        return made(case, new_key, dump(new_value), aggregate_id=value.get("aggregate_id"), **options)

    long_id = f"{RUN}-{topic.name}-long-" + "a" * LONG_ID
    (type_field,) = topic.other_type
    messages = [
        plain("empty", b""),
        plain("tombstone", None),
        plain("not_utf8", b"\xff\xfe\xfd{\x80"),
        plain("invalid_json", b'{"id": "x1", "type": '),
        plain("json_array", b"[1, 2, 3]"),
        plain("json_number", b"42"),
        plain("json_string", b'"labour.begin"'),
        plain("json_null", b"null"),
        plain("deep_nesting", b"[" * DEEP + b"]" * DEEP),
        plain("huge_control_bytes", b"\x00" * HUGE),  # six bytes each once escaped in a dead letter's JSON
        plain("wrong_types", dump({"id": 7, "type": ["x"], "aggregate_id": {"id": 1}, "data": "x", "version": "1"})),
        plain("lone_surrogates", b'{"id": "x2", "type": "\\ud800", "aggregate_id": "\\udfff", "data": "\\ud83d"}'),
        variant("huge", lambda key, value: (key, value | {"notes": PAD})),
        variant("huge_type", lambda key, value: (key, value | {type_field: PAD})),
        variant("huge_field_name", lambda key, value: (key, value | {PAD: 1})),
        variant("huge_key", lambda key, value: ("k" * (HUGE - 2_000), value)),
        variant("many_fields", lambda key, value: (key, value | {f"f{n}": 0 for n in range(HUGE // 14)})),
        variant("nested_in_data", lambda key, value: (key, value | {"x": nested(NESTED)})),
        variant("extra_fields", lambda key, value: (key, value | {"priority": "urgent"})),
        variant("unknown_type", lambda key, value: (key, value | topic.other_type)),
        variant("key_mismatch", lambda key, value: (key + "-someone-else", value)),
        variant("missing_key", lambda key, value: (None, value)),
        variant("key_not_utf8", lambda key, value: (b"\xff\xfe" + key.encode(), value)),
        variant("nul_in_strings", lambda key, value: (key, value), subject=f"{RUN}-{topic.name}-nul-\x00"),
        variant("long_aggregate_id", lambda key, value: (key, value), subject=long_id),
    ]  # fmt: skip
    messages = [padded(each) for each in messages]
    if topic.commands:
        messages += reply_headers(topic, replies, prefix)
    else:  # agents that never reply ignore the headers: the message is parked for what it is
        headers = [("Faust-Ag-ReplyTo", b"\xff\xfe"), ("Faust-Ag-CorrelationId", b"\xff")]
        messages.append(variant("reply_headers", lambda key, value: (key, value | {"x": 1}), headers=headers))
    return messages


def padded(message: Hostile) -> Hostile:
    """The message with its PAD, if it has one, grown until the whole value is HUGE bytes."""
    if message.value is None or PAD.encode() not in message.value:
        return message
    value = message.value.replace(PAD.encode(), b"x" * (HUGE - len(message.value) + len(PAD)))
    assert len(value) == HUGE
    return replace(message, value=value)


def reply_headers(topic: Consumed, replies: str, prefix: str) -> list[Hostile]:
    """A valid command asking for its reply where it cannot go: applied and answered on the outcome topic as usual,
    and the reply it could not send parked on the dead-letter topic."""

    def asking(case: str, reply_to: bytes, correlation: bytes = b"c-1") -> Hostile:
        key, value = topic.sample(f"{RUN}-{topic.name}-{case}")
        headers = [("Faust-Ag-ReplyTo", reply_to), ("Faust-Ag-CorrelationId", correlation)]
        return Hostile(topic, case, key.encode(), dump(value), aggregate_id=key, headers=headers)

    return [
        asking("reply_to_missing_topic", f"{prefix}.no-such-topic-{RUN}".encode()),
        asking("reply_to_same_topic", f"{prefix}.{topic.name}".encode()),
        asking("reply_to_dead_letters", f"{prefix}.dead_letters".encode()),
        asking("reply_to_invalid_name", b"not a topic name!"),
        asking("reply_to_not_utf8", b"\xff\xfe-replies"),
        asking("correlation_not_utf8", replies.encode(), b"\xff\xfe"),
    ]


class Reader:
    """Reads the topics the worker writes to, from their start, into memory, while the test goes on."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.arrived = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            for partition, records in (await self.consumer.getmany(timeout_ms=200)).items():
                self.records[partition.topic] += [json.loads(each.value) for each in records if each.value]
                self.arrived.set()

    async def first(self, topic: str, match: Callable[[dict[str, Any]], bool], within: float = 30) -> dict[str, Any]:
        """The first record of the topic that matches, waiting for it."""
        async with asyncio.timeout(within):
            while True:
                found = next((each for each in self.records[topic] if match(each)), None)
                if found is not None:
                    return found
                self.arrived.clear()
                await self.arrived.wait()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.consumer.stop()


@dataclass
class Barrage:
    prefix: str
    sent: dict[str, tuple[Hostile, str, int, int]]  # case id -> (message, topic, partition, offset)
    reader: Reader
    worker: WorkerProcess

    def letters_for(self, topic: str, partition: int, offset: int) -> list[dict[str, Any]]:
        return [
            letter
            for letter in self.reader.records[f"{self.prefix}.dead_letters"]
            if (letter["topic"], letter["partition"], letter["offset"]) == (topic, partition, offset)
        ]


@pytest.fixture(scope="module")
def own_deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[Deployment]:
    """This module's deployment, with a secret the samples know (and the caps of a real one)."""
    caps = {"LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR": "20"}
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_SUBSCRIPTION_TOKEN_SECRET=SECRET, **caps)
    with Deployment.running(stack, "hostile-messages") as deployed:
        yield deployed


@pytest.fixture(scope="module")
async def barrage(own_deployment: Deployment, kafka: KafkaBroker) -> AsyncIterator[Barrage]:
    """Every hostile message on every consumed topic, then a fence per partition: once each fence is parked,
    everything produced before it on its partition has been handled."""
    stack, worker = own_deployment.stack, own_deployment.worker
    prefix = stack.env["LABOUR_TRACKER_TOPIC_PREFIX"]
    replies = f"{prefix}.test-replies-{RUN}"
    await create_topic(kafka.bootstrap, replies)
    reader = Reader(
        kafka.bootstrap,
        [f"{prefix}.{name}" for name in ("dead_letters", "birthing_person.outcomes", "subscriber.outcomes",
                                         "notification.events")] + [replies],
    )  # fmt: skip
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=20)
    await producer.start()
    sent: dict[str, tuple[Hostile, str, int, int]] = {}
    fences: list[tuple[str, int, int]] = []
    try:
        pending = []
        for topic in CONSUMED:
            for message in hostile_messages(topic, replies, prefix):
                name = f"{prefix}.{topic.name}"
                future = await producer.send(name, message.value, key=message.key, headers=message.headers)
                pending.append((message, name, future))
        for message, name, future in pending:
            metadata = await future
            sent[message.id] = (message, name, metadata.partition, metadata.offset)
        for topic in CONSUMED:
            name = f"{prefix}.{topic.name}"
            for partition in sorted(await producer.partitions_for(name)):
                metadata = await producer.send_and_wait(name, b"fence", key=b"fence", partition=partition)
                fences.append((name, metadata.partition, metadata.offset))
        barrage = Barrage(prefix, sent, reader, worker)
        async with asyncio.timeout(120):
            for fence in fences:
                while not barrage.letters_for(*fence):
                    reader.arrived.clear()
                    await reader.arrived.wait()
        yield barrage
    finally:
        await producer.stop()
        await reader.stop()


GENERIC_CASES = ("empty", "tombstone", "not_utf8", "invalid_json", "json_array", "json_number", "json_string",
                 "json_null", "deep_nesting", "huge_control_bytes", "wrong_types", "lone_surrogates", "huge",
                 "huge_type", "huge_field_name", "huge_key", "many_fields", "nested_in_data", "extra_fields",
                 "unknown_type", "key_mismatch", "missing_key", "key_not_utf8", "nul_in_strings",
                 "long_aggregate_id")  # fmt: skip
CASES = [
    f"{topic.name}:{case}"
    for topic in CONSUMED
    for case in GENERIC_CASES + (REPLY_CASES if topic.commands else ("reply_headers",))
]


@pytest.mark.parametrize("case", CASES)
async def test_a_hostile_message_is_answered_or_parked_as_its_topic_promises(barrage: Barrage, case: str) -> None:
    message, topic, partition, offset = barrage.sent[case]
    letters = barrage.letters_for(topic, partition, offset)
    if message.expect in (SKIPPED, FORWARDED):
        assert letters == []
    else:
        # Delivery is at least once: a message taken again after a rebalance is parked again, with the same letter.
        (letter,) = {
            json.dumps({k: v for k, v in each.items() if k != "time"}, sort_keys=True): each for each in letters
        }.values()
        assert letter["reason"]
        received = message.value or b""
        assert letter["truncated"] is (len(message.text_key or "") > MAX_PARKED_KEY)
        assert letter["key"] == message.named if message.key is not None else letter["key"] is None
        assert (letter["size"], letter["sha256"]) == (len(received), hashlib.sha256(received).hexdigest())
    if message.topic.outcomes is not None:
        outcomes = f"{barrage.prefix}.{message.topic.outcomes}"
        outcome = await barrage.reader.first(outcomes, lambda o: o["aggregate_id"] == message.named, within=5)
        if message.expect == "accepted":  # the command stands; only its reply could not be sent
            assert outcome["status"] == "accepted", outcome
            assert letter["reason"].startswith("reply not sent"), letter
        else:
            code = message.expect if message.expect != DEAD_LETTER else "malformed_command"
            assert (outcome["status"], outcome["error"]["code"]) == ("rejected", code), outcome
    if message.expect == FORWARDED:  # as add_subscriber to a person who does not exist: refused by their agent
        assert message.value is not None
        event_id = json.loads(message.value)["id"]
        outcomes = f"{barrage.prefix}.birthing_person.outcomes"
        forwarded = await barrage.reader.first(outcomes, lambda o: o["command_id"] == event_id, within=5)
        assert (forwarded["command_type"], forwarded["status"]) == ("birthing_person.add_subscriber", "rejected")


async def test_after_the_barrage_every_agent_still_does_its_work(barrage: Barrage, kafka: KafkaBroker) -> None:
    """A person and a subscriber through the command topics, the subscription through the subscriptions agent, and
    labour begun through the notification agents to a sent email: each agent that was fed poison."""
    prefix, reader = barrage.prefix, barrage.reader
    person, subscriber = f"{RUN}-after-person", f"{RUN}-after-subscriber"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()

    async def command(topic: str, aggregate_id: str, command_type: str, data: dict[str, Any]) -> dict[str, Any]:
        envelope = {"id": f"after-{command_type}", "type": command_type, "aggregate_id": aggregate_id, "data": data}
        await producer.send_and_wait(f"{prefix}.{topic}.commands", dump(envelope), key=aggregate_id.encode())
        return await reader.first(
            f"{prefix}.{topic}.outcomes",
            lambda o: (o["aggregate_id"], o["command_id"]) == (aggregate_id, envelope["id"]),
        )

    try:
        # The reply path too: a caller waiting on its own reply topic is still answered.
        _, registration = register_person(person)
        replies = next(name for name in reader.consumer.subscription() if ".test-replies-" in name)
        headers = [("Faust-Ag-ReplyTo", replies.encode()), ("Faust-Ag-CorrelationId", b"after-1")]
        await producer.send_and_wait(
            f"{prefix}.birthing_person.commands", dump(registration), key=person.encode(), headers=headers
        )
        reply = await reader.first(replies, lambda r: r["correlation_id"] == "after-1")
        assert reply["value"]["outcome"]["status"] == "accepted", reply
        _, subscriber_registration = register_subscriber(subscriber)
        assert (await command("subscriber", subscriber, "subscriber.register", subscriber_registration["data"]))[
            "status"
        ] == "accepted"
        subscribe = await command("subscriber", subscriber, "subscriber.subscribe_to", {"birthing_person_id": person})
        assert subscribe["status"] == "accepted", subscribe
        added = await reader.first(
            f"{prefix}.birthing_person.outcomes",
            lambda o: o["aggregate_id"] == person and o["command_type"] == "birthing_person.add_subscriber",
        )
        assert added["status"] == "accepted", added
        friend = {"subscriber_id": subscriber, "role": "friends_and_family"}  # told that labour began
        approved = await command("birthing_person", person, "birthing_person.approve_follow_request", friend)
        assert approved["status"] == "accepted", approved
        begun = await command("birthing_person", person, "labour.begin", {"first_labour": True})
        assert begun["status"] == "accepted", begun
        sent = await reader.first(f"{prefix}.notification.events", lambda e: e["data"]["subscriber_id"] == subscriber)
        assert (sent["type"], sent["data"]["event_type"], sent["data"]["channel"]) == (
            "notification.sent",
            "labour.begun",
            "email",
        )
    finally:
        await producer.stop()
    worker = barrage.worker
    assert worker.process is not None and worker.process.poll() is None, "the worker is no longer running"
    with urllib.request.urlopen(f"{worker.url}/api/v1/ready", timeout=5) as ready:  # noqa: ASYNC210
        assert ready.status == 200
