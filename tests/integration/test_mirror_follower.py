"""The changelog follower on the real broker: offsets are committed only once their changes are in PostgreSQL,
redelivered records change nothing, and an unreadable record is set aside while the rest land."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.process import free_port
from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import KafkaConnection
from labour_tracker.tables.records import AggregateRecord, RecordCodec
from tests.support.kafka import create_topic


class SetAside:
    def __init__(self) -> None:
        self.unreadable: list[tuple[int, str]] = []
        self.rejected: list[Change] = []

    async def record(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        self.unreadable.append((record.offset, reason))

    async def change(self, change: Change, reason: str) -> None:
        self.rejected.append(change)


def person_record(version: int, last_name: str = "Lovelace") -> bytes:
    person = BirthingPerson("p1", "Ada", last_name, None, (), frozenset(), version)
    return RecordCodec(BirthingPerson).dumps(AggregateRecord(person, version))


@pytest.fixture
async def changelog(kafka: KafkaBroker) -> AsyncIterator[str]:
    topic = f"mirror-test-{uuid.uuid4().hex[:8]}-birthing_persons-changelog"
    await create_topic(kafka.bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for value in (person_record(1), person_record(2, "King"), b"not a record", person_record(1)):
            await producer.send_and_wait(topic, value, key=b"p1")
    finally:
        await producer.stop()
    yield topic


@pytest.fixture
async def schema(postgres: PostgresCluster) -> AsyncIterator[str]:
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(postgres.dsn)
    await migrate(connection, name)
    yield name
    await connection.execute(f"DROP SCHEMA {name} CASCADE")
    await connection.close()


def follower(kafka: KafkaBroker, topic: str, database: Database, schema: str, set_aside: SetAside) -> ChangelogMirror:
    return ChangelogMirror(
        kafka=KafkaConnection(kafka.bootstrap),
        tables={topic: "birthing_persons"},
        database=database,
        writer=MirrorWriter(schema),
        unreadable=set_aside.record,
        rejected=set_aside.change,
    )


async def committed(kafka: KafkaBroker, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()


async def follow_for(mirror: ChangelogMirror, group: str, seconds: float) -> None:
    stopping = asyncio.Event()
    following = asyncio.create_task(mirror.follow(group, stopping))
    await asyncio.sleep(seconds)
    stopping.set()
    await asyncio.wait_for(following, timeout=15)


async def test_nothing_is_committed_while_postgres_is_away_and_all_lands_once_it_returns(
    kafka: KafkaBroker, postgres: PostgresCluster, changelog: str, schema: str
) -> None:
    group, set_aside = f"mirror-test-{uuid.uuid4().hex[:6]}", SetAside()
    nowhere = Database(f"postgresql://labour_tracker@127.0.0.1:{free_port()}/labour_tracker")
    await follow_for(follower(kafka, changelog, nowhere, schema, set_aside), group, 4)
    assert await committed(kafka, group, changelog) is None

    database = Database(postgres.dsn)
    try:
        mirror = follower(kafka, changelog, database, schema, set_aside)
        await follow_for(mirror, group, 6)
        row = await (await database.pool()).fetchrow(f"SELECT last_name, version FROM {schema}.birthing_persons")
    finally:
        await database.close()
    assert (row["last_name"], row["version"]) == ("King", 2), "the late, older record changed nothing"
    assert await committed(kafka, group, changelog) == 4
    assert [offset for offset, _ in set_aside.unreadable] == [2], "set aside once, when its batch landed"
    assert mirror.written == 3


async def test_a_copy_reads_to_the_end_and_commits_there_for_the_next_follower(
    kafka: KafkaBroker, postgres: PostgresCluster, changelog: str, schema: str
) -> None:
    group, set_aside, database = f"mirror-test-{uuid.uuid4().hex[:6]}", SetAside(), Database(postgres.dsn)
    try:
        written = await follower(kafka, changelog, database, schema, set_aside).copy(group)
        version = await (await database.pool()).fetchval(f"SELECT version FROM {schema}.birthing_persons")
    finally:
        await database.close()
    assert (written, version) == (3, 2)
    assert await committed(kafka, group, changelog) == 4


async def test_a_connection_cut_mid_operation_is_discarded_and_the_work_tried_again(postgres: PostgresCluster) -> None:
    database, backends = Database(postgres.dsn, max_size=1), []

    async def work(connection: asyncpg.Connection) -> int:
        backends.append(await connection.fetchval("SELECT pg_backend_pid()"))
        if len(backends) == 1:
            raise asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress")
        return len(backends)

    try:
        answered = await database.patiently(work, asyncio.Event(), "the test")
    finally:
        await database.close()
    assert answered == (True, 2)
    assert backends[0] != backends[1], "the pool's only connection was replaced, not handed out again"
