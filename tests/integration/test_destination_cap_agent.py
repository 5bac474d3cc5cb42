"""The cap on messages to one destination, on a real broker: deliveries produced to `notifications.destinations`
under their destination's keyed digest are counted in the changelog-backed `destinations` table; one past the cap
is recorded as failed, `destination_cap_reached`, and never sent; and a worker started afresh still counts what
its predecessor did, because the count lives in Kafka, not in a worker's memory."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.domain.notification import notification_id
from labour_tracker.domain.notification.destination import destination_digest
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.tables.names import DESTINATIONS, changelog_topic
from tests.support.kafka import Kafka
from tests.support.servers import new_dir
from tests.support.stack import Deployment, Stack, new_stack

SECRET = f"destination-cap-{uuid.uuid4().hex}"
CAP = 2
NUMBER = f"+4477009{uuid.uuid4().int % 10**5:05d}"
SPELLINGS = (NUMBER, f"{NUMBER[:3]} {NUMBER[3:7]} {NUMBER[7:]}", f"{NUMBER[:7]}-{NUMBER[7:]}")  # one number


@pytest.fixture(scope="module")
def outbox() -> Path:
    return new_dir("sms-outbox") / "sms.jsonl"


@pytest.fixture(scope="module")
def stack(kafka: KafkaBroker, postgres: PostgresCluster, outbox: Path) -> Stack:
    return new_stack(
        kafka,
        postgres,
        LABOUR_TRACKER_SUBSCRIPTION_TOKEN_SECRET=SECRET,
        LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR=str(CAP),
        LABOUR_TRACKER_SMS_OUTBOX=str(outbox),
    )


def code_message(account: str, destination: str) -> dict[str, Any]:
    """A confirmation code for `account`, as the subscriber agent sends one: each account asks for its own."""
    event_id = uuid.uuid4().hex
    return {
        "notification_id": notification_id(event_id, account, ContactMethod.SMS),
        "event_id": event_id,
        "event_type": "subscriber.confirmation_code_sent",
        "event_time": "2025-03-14T06:00:00Z",
        "subscriber_id": account,
        "subscriber_first_name": "Sam",
        "subscriber_last_name": "S",
        "channel": "sms",
        "destination": destination,
        "code": "12345678",
    }


async def produce(kafka: KafkaBroker, prefix: str, *deliveries: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for delivery in deliveries:
            key = destination_digest(SECRET.encode(), ContactMethod.SMS, delivery["destination"])
            await producer.send_and_wait(
                f"{prefix}.notifications.destinations", json.dumps(delivery).encode(), key=key.encode()
            )
    finally:
        await producer.stop()


async def outcomes(client: Kafka, deliveries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The outcome event of each delivery, by notification id, waiting for every one."""
    ids = {each["notification_id"] for each in deliveries}
    found = await client.read(f"{client.prefix}.notification.events", len(ids), lambda e: e["aggregate_id"] in ids)
    return {each["aggregate_id"]: each for each in found}


def texts_to(outbox: Path, number: str) -> int:
    if not outbox.exists():
        return 0
    return sum(json.loads(line)["to"] == number for line in outbox.read_text().splitlines() if line)


async def changelog(kafka: KafkaBroker, topic: str) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: list[tuple[bytes, bytes]] = []
    try:
        for batch in (await consumer.getmany(timeout_ms=3000)).values():
            records += [(each.key or b"", each.value or b"") for each in batch]
    finally:
        await consumer.stop()
    return records


async def test_one_number_on_many_accounts_gets_the_cap_and_no_more_even_after_a_restart(
    stack: Stack, kafka: KafkaBroker, outbox: Path
) -> None:
    prefix = stack.env["LABOUR_TRACKER_TOPIC_PREFIX"]
    asked = [code_message(f"account-{n}", spelling) for n, spelling in enumerate(SPELLINGS)]
    with Deployment.running(stack, "destination-cap") as deployment:
        async with Kafka.of(deployment) as client:
            await produce(kafka, prefix, *asked)
            first = await outcomes(client, asked)

            assert [first[each["notification_id"]]["type"] for each in asked] == [
                "notification.sent",
                "notification.sent",
                "notification.failed",
            ]
            reason = first[asked[2]["notification_id"]]["data"]["reason"]
            assert reason.startswith("destination_cap_reached: ") and f"{CAP} messages an hour" in reason
            assert first[asked[2]["notification_id"]]["data"]["attempts"] == 0, "the provider was never called"
            assert sum(texts_to(outbox, each) for each in SPELLINGS) == CAP

            await produce(kafka, prefix, asked[0])  # delivered again: counted once, sent once
            await asyncio.sleep(2)
            assert sum(texts_to(outbox, each) for each in SPELLINGS) == CAP

    with Deployment.running(stack, "destination-cap-again") as deployment:  # its table recovered from the changelog
        async with Kafka.of(deployment) as client:
            later = code_message("account-9", NUMBER)
            await produce(kafka, prefix, later)
            (after_restart,) = (await outcomes(client, [later])).values()

    assert after_restart["type"] == "notification.failed"
    assert after_restart["data"]["reason"].startswith("destination_cap_reached: ")
    assert sum(texts_to(outbox, each) for each in SPELLINGS) == CAP

    records = await changelog(kafka, changelog_topic(stack.env["LABOUR_TRACKER_APP_ID"], DESTINATIONS))
    digest = destination_digest(SECRET.encode(), ContactMethod.SMS, NUMBER)
    assert {key.decode() for key, _ in records} == {digest}
    digits = NUMBER.removeprefix("+")
    assert all(digits not in value.decode() for _, value in records), "the count holds no number"
    assert len(json.loads(records[-1][1])["state"]["counted"]) == CAP
