"""Deleting an account through a running worker: the person or subscriber is gone from the API and the mirror at
once, the other side lets go of them, and once Kafka has compacted the changelog nothing it keeps of them can be
read by anyone, however they read it."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.partitioner import murmur2

from labour_tracker.consistency import read_topic
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.domain import labour
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.sealing import Unopenable, opened
from labour_tracker.settings import KafkaConnection
from labour_tracker.tables.names import BIRTHING_PERSONS, changelog_topic
from labour_tracker.tables.records import RecordCodec
from tests.support.api import Caller, MakeCaller
from tests.support.notifications import approved
from tests.support.stack import Deployment
from tests.support.waiting import eventually


@pytest.fixture
async def mirror(own_deployment: Deployment, postgres: PostgresCluster) -> Any:
    connection = await asyncpg.connect(postgres.dsn)
    yield connection, own_deployment.stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
    await connection.close()


@pytest.fixture
async def make(own_deployment: Deployment) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        yield own_deployment.callers(http)


async def following(make: MakeCaller, bea: Caller) -> Caller:
    """A subscriber who follows `bea`, told by email."""
    token = (await bea.get("/birthing-person/subscription-token")).body["token"]
    sam = make("Sam", "Lee", email=f"sam-{uuid.uuid4().hex[:6]}@example.org", phone_number="+447700900123")
    assert (await sam.post("/subscriber/register", {"contact_methods": ["email"]})).status == 201
    assert (await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})).status == 200
    await approved(bea, [sam.id])
    return sam


async def rows_of(mirror: Any, person_id: str | None = None, subscriber_id: str | None = None) -> dict[str, int]:
    """How many rows of the mirror are about the person, or the subscriber."""
    connection, schema = mirror
    if person_id is not None:
        queries = {
            "birthing_persons": f"SELECT count(*) FROM {schema}.birthing_persons WHERE id = $1",
            "labours": f"SELECT count(*) FROM {schema}.labours WHERE birthing_person_id = $1",
            "contractions": f"SELECT count(*) FROM {schema}.contractions c JOIN {schema}.labours l "
            f"ON l.id = c.labour_id WHERE l.birthing_person_id = $1",
            "labour_updates": f"SELECT count(*) FROM {schema}.labour_updates u JOIN {schema}.labours l "
            f"ON l.id = u.labour_id WHERE l.birthing_person_id = $1",
            "subscriptions": f"SELECT count(*) FROM {schema}.subscriptions WHERE birthing_person_id = $1",
            "followers": f"SELECT count(*) FROM {schema}.followers WHERE birthing_person_id = $1",
            "notifications": f"SELECT count(*) FROM {schema}.notifications WHERE birthing_person_id = $1",
        }
        return {table: await connection.fetchval(sql, person_id) for table, sql in queries.items()}
    queries = {
        "subscribers": f"SELECT count(*) FROM {schema}.subscribers WHERE id = $1",
        "subscriptions": f"SELECT count(*) FROM {schema}.subscriptions WHERE subscriber_id = $1",
        "followers": f"SELECT count(*) FROM {schema}.followers WHERE subscriber_id = $1",
        "notifications": f"SELECT count(*) FROM {schema}.notifications WHERE subscriber_id = $1",
    }
    return {table: await connection.fetchval(sql, subscriber_id) for table, sql in queries.items()}


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `key`, as the workers' producers do."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


async def compact_quickly(bootstrap: str, topic: str) -> None:
    """Ask the broker to compact `topic` within moments rather than within a day, as a test cannot wait a day."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # The whole configuration, as the request replaces it: compacted still, and eagerly.
        quick = {"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01",
                 "max.compaction.lag.ms": "100", "delete.retention.ms": "100"}  # fmt: skip
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=quick)])
    finally:
        await admin.close()


async def records_of(bootstrap: str, topic: str, key: str) -> list[bytes | None]:
    """Every value the topic holds under `key`, from its start to its end."""
    return [
        record.value async for record in read_topic(KafkaConnection(bootstrap), topic) if record.key == key.encode()
    ]


async def test_a_person_who_deletes_their_account_is_gone_and_what_kafka_keeps_of_them_cannot_be_read(
    own_deployment: Deployment, make: MakeCaller, mirror: Any
) -> None:
    env = own_deployment.stack.env
    bootstrap, partitions = env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"], int(env["LABOUR_TRACKER_TOPIC_PARTITIONS"])
    note = f"waters broke at the bakery {uuid.uuid4().hex}"
    bea = make("Beatrix", "Quennell")
    assert (await bea.post("/birthing-person/register")).status == 201
    sam = await following(make, bea)
    assert (await bea.post("/labour/begin", {"first_labour": True})).status == 200
    assert (await bea.post("/labour/contraction/start", {"intensity": 6, "notes": note})).status == 200
    assert (await bea.post("/labour/updates", {"kind": "private_note", "message": note})).status == 200
    await eventually(lambda: _all_there(mirror, bea.id))

    erased = await bea.delete("/birthing-person/")

    assert (erased.status, erased.body) == (204, None)
    gone = await bea.get("/birthing-person/")
    assert (gone.status, gone.body["code"]) == (404, "birthing_person_not_found")
    assert (await bea.delete("/birthing-person/")).status == 204  # again: nothing left to delete
    await eventually(lambda: _subscribed_to(sam, []))
    assert await eventually(lambda: _none_left(mirror, bea.id)) == {
        "birthing_persons": 0, "labours": 0, "contractions": 0, "labour_updates": 0, "subscriptions": 0,
        "followers": 0,
        "notifications": 0,
    }  # fmt: skip

    # Kafka keeps the person's events forever: sealed, their data cannot be read without the key their record held.
    published = await records_of(bootstrap, own_deployment.topic("birthing_person.events"), bea.id)
    events = [EventEnvelope.model_validate_json(each or b"") for each in published]
    assert {each.type for each in events} >= {
        "birthing_person.registered", "contraction.started", "labour.begun", "labour.update_posted",
    }  # fmt: skip
    assert all(each.sealed for each in events if each.type in labour.PERSONAL_EVENT_TYPES)
    raw = b"".join(each.model_dump_json().encode() for each in events)
    assert note.encode() not in raw and b"Quennell" not in raw
    assert events[-1].type == "birthing_person.erased"

    # The changelog ends with the record's tombstone; compacted, it keeps nothing else of the person, key included.
    changelog = changelog_topic(env["LABOUR_TRACKER_APP_ID"], BIRTHING_PERSONS)
    codec = RecordCodec(labour.BirthingPerson)
    *before, tombstone = await records_of(bootstrap, changelog, bea.id)
    assert tombstone is None
    held = {codec.loads(value).data_key for value in before if value is not None}
    (old_key,) = held  # until compaction, a reader of the changelog finds the key, and opens the events with it
    contraction = next(each for each in events if each.type == "contraction.started")
    assert opened(contraction, old_key).data["notes"] == note
    await compact_quickly(bootstrap, changelog)
    same_partition = [f"filler-{n}" for n in range(500) if partition_of(f"filler-{n}", partitions)
                      == partition_of(bea.id, partitions)]  # fmt: skip

    async def compacted() -> bool:
        filler = make("Fill", "Er", user_id=same_partition.pop())  # new records roll the tombstone's segment
        assert (await filler.post("/birthing-person/register")).status == 201
        return all(each is None for each in await records_of(bootstrap, changelog, bea.id))

    await eventually(compacted, within=90)
    keys = [codec.loads(value).data_key async for value in _values(bootstrap, changelog)]
    for event in (each for each in events if each.sealed):
        for key in [None, *filter(None, keys)]:
            with pytest.raises(Unopenable):
                opened(event, key)


async def test_a_subscriber_who_deletes_their_account_leaves_every_person_they_followed_and_the_mirror(
    make: MakeCaller, mirror: Any
) -> None:
    bea = make("Bea", "Moyo")
    assert (await bea.post("/birthing-person/register")).status == 201
    sam = await following(make, bea)
    assert (await bea.post("/labour/begin", {"first_labour": True})).status == 200  # Sam is emailed

    async def told() -> Any:
        connection, schema = mirror
        return await connection.fetchrow(
            f"SELECT status, destination FROM {schema}.notifications WHERE subscriber_id = $1", sam.id
        )

    sent = await eventually(told)
    assert (sent["status"], sent["destination"]) == ("sent", "")  # where it went is not kept once it is sent

    erased = await sam.delete("/subscriber/")

    assert erased.status == 204
    assert (await sam.get("/subscriber/")).status == 404
    await eventually(lambda: _subscribers(bea, []))
    assert await eventually(lambda: _none_left(mirror, subscriber_id=sam.id)) == {
        "subscribers": 0, "subscriptions": 0, "followers": 0, "notifications": 0
    }  # fmt: skip


async def _all_there(mirror: Any, person_id: str) -> bool:
    rows = await rows_of(mirror, person_id)
    tables = ("birthing_persons", "labours", "contractions", "labour_updates", "subscriptions", "followers")
    return all(rows[table] for table in tables)


async def _none_left(mirror: Any, person_id: str | None = None, subscriber_id: str | None = None) -> Any:
    rows = await rows_of(mirror, person_id, subscriber_id)
    return rows if not any(rows.values()) else None


async def _subscribed_to(caller: Caller, expected: list[str]) -> bool:
    return bool((await caller.get("/subscriber/")).body["subscriber"]["subscribed_to"] == expected)


async def _subscribers(caller: Caller, expected: list[str]) -> bool:
    return bool((await caller.get("/birthing-person/")).body["birthing_person"]["subscribers"] == expected)


async def _values(bootstrap: str, topic: str) -> Any:
    async for record in read_topic(KafkaConnection(bootstrap), topic):
        if record.value is not None:
            yield record.value
