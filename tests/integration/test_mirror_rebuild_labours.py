"""A rebuild finds a person's earlier labours in their events when the changelog, compacted, holds only the
person's latest record (which holds only their latest labour)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.domain.labour import (
    BeginLabour,
    CompleteLabour,
    DeleteLabourUpdate,
    EditLabourUpdate,
    EndContraction,
    PostLabourUpdate,
    RegisterBirthingPerson,
    StartContraction,
    UpdateKind,
    decide,
    evolve,
    new_id,
)
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.mirror.rebuild import restore_labours
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import Settings

T0 = datetime(2026, 10, 1, 6, tzinfo=UTC)
SECRET = b"server-secret-for-tests-only-32b!"


def two_labours() -> tuple[list[EventEnvelope], object]:
    """A person's events: a first labour with two contractions and updates (one edited, one deleted), completed,
    then a second begun; and their state."""
    state, envelopes = None, []
    steps = [
        (RegisterBirthingPerson("p1", "Ada", "L"), T0),
        (BeginLabour(first_labour=True), T0),
        (StartContraction(notes="first"), T0 + timedelta(minutes=5)),
        (EndContraction(6), T0 + timedelta(minutes=6)),
        (StartContraction(), T0 + timedelta(minutes=10)),
        (EndContraction(7, notes="second"), T0 + timedelta(minutes=11)),
        (PostLabourUpdate(UpdateKind.STATUS_UPDATE, "going well"), T0 + timedelta(minutes=20)),
        (PostLabourUpdate(UpdateKind.PRIVATE_NOTE, "scared"), T0 + timedelta(minutes=21)),
        (CompleteLabour(notes="a girl"), T0 + timedelta(hours=2)),
        (EditLabourUpdate(new_id("p1", "c6"), "went well"), T0 + timedelta(hours=3)),  # the updates of steps 6, 7
        (DeleteLabourUpdate(new_id("p1", "c7")), T0 + timedelta(hours=3)),
        (BeginLabour(first_labour=False), T0 + timedelta(days=400)),
    ]
    for number, (command, now) in enumerate(steps):
        for event in decide(state, command, now=now, command_id=f"c{number}", subscription_secret=SECRET):
            state = evolve(state, event)
            envelopes.append(
                EventEnvelope(
                    id=f"e{len(envelopes) + 1}",
                    type=event.TYPE,
                    version=len(envelopes) + 1,
                    aggregate_id="p1",
                    time=now,
                    causation_id=f"c{number}",
                    data=to_data(event),
                )
            )
    return envelopes, state


async def test_earlier_labours_come_back_from_the_events_beside_the_latest_from_the_changelog(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> None:
    prefix, schema = f"lt_{uuid.uuid4().hex[:8]}", f"mirror_{uuid.uuid4().hex[:8]}"
    envelopes, latest = two_labours()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{prefix}.birthing_person.events", 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for each in envelopes:
            await producer.send_and_wait(f"{prefix}.birthing_person.events", each.model_dump_json().encode(), key=b"p1")
    finally:
        await producer.stop()
    settings = Settings(kafka_bootstrap=kafka.bootstrap, topic_prefix=prefix, database_url=postgres.dsn)
    connection = await asyncpg.connect(postgres.dsn)
    try:
        await migrate(connection, schema)
        writer = MirrorWriter(schema)
        # What a compacted changelog gives: the person's latest record, holding only the second labour.
        compacted = Change("birthing_persons", "p1", len(envelopes), latest, T0, "changelog", 0, 9, b"")
        await writer.write(connection, [compacted], rejected=None)  # type: ignore[arg-type]
        assert await connection.fetchval(f"SELECT count(*) FROM {schema}.labours") == 1

        restored = await restore_labours(settings, connection, writer)

        labours = await connection.fetch(
            f"SELECT first_labour, end_time, phase, notes, version FROM {schema}.labours ORDER BY start_time"
        )
        contractions = await connection.fetch(
            f"SELECT c.intensity, c.notes FROM {schema}.contractions c ORDER BY c.start_time"
        )
        updates = await connection.fetch(f"SELECT kind, message, edited_at FROM {schema}.labour_updates")
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await connection.close()
    assert restored == 2
    completed = next(each.version for each in envelopes if each.type == "labour.update_deleted")  # last held the first
    assert [tuple(row) for row in labours] == [
        (True, T0 + timedelta(hours=2), "complete", "a girl", completed),
        (False, None, "early", None, len(envelopes)),
    ]
    assert [tuple(row) for row in contractions] == [(6, "first"), (7, "second")]
    assert [tuple(row) for row in updates] == [("status_update", "went well", T0 + timedelta(hours=3))]
