"""`labour-tracker mirror rebuild`: the mirror made anew from the changelogs, into a fresh schema.

The live mirror is left alone; the rebuilt schema ends at the changelogs' ends as they were when the rebuild
began, and its consumer group is committed there, so workers pointed at it (LABOUR_TRACKER_MIRROR_SCHEMA and
a rolling restart) go on from exactly where the rebuild stopped.

A person's record holds only their latest labour, and a compacted changelog only a person's latest record: the
labours before it are taken from the person's events, which keep everything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asyncpg
from aiokafka import ConsumerRecord

from labour_tracker import consistency
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror, mirror_group
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import check_schema_name, migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import Settings
from labour_tracker.tables.names import changelog_topic, changelogs

log = logging.getLogger(__name__)


@dataclass
class Rebuilt:
    schema: str
    changes: int = 0
    unreadable: int = 0
    rejected: int = 0
    labours: int = 0  # labours written from the events


async def rebuild(settings: Settings, schema: str) -> Rebuilt:
    """Drop `schema` if it exists, create it at the newest version, and fill it from the changelogs."""
    if check_schema_name(schema) == settings.mirror_schema:
        raise ValueError(f"{schema} is the live mirror's schema; rebuild into another and switch workers to it")
    report = Rebuilt(schema)

    async def unreadable(record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        report.unreadable += 1
        log.error("not rebuilt: %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason)

    async def rejected(change: Change, reason: str) -> None:
        report.rejected += 1
        log.error("not rebuilt: %s %s v%s from %s: %s", change.table, change.key, change.version, change.source, reason)

    database = Database(str(settings.database_url), max_size=2)
    try:
        pool = await database.pool()
        async with pool.acquire() as connection:
            await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await migrate(connection, schema)
        mirror = ChangelogMirror(
            kafka=settings.kafka,
            tables=changelogs(settings.app_id),
            database=database,
            writer=MirrorWriter(schema),
            unreadable=unreadable,
            rejected=rejected,
            batch_size=settings.mirror_batch_size,
        )
        report.changes = await mirror.copy(mirror_group(settings.app_id, schema))
        async with pool.acquire() as connection:
            report.labours = await restore_labours(settings, connection, MirrorWriter(schema))
    finally:
        await database.close()
    return report


LABOURS_PER_TRANSACTION = 500


async def restore_labours(settings: Settings, connection: asyncpg.Connection, writer: MirrorWriter) -> int:
    """Every labour of every mirrored person as their events last left it, each at the version that last held it,
    so a row the changelogs gave as new stays as it is. Returns the labours written."""
    persons = consistency.BIRTHING_PERSONS
    changelog = changelog_topic(settings.app_id, persons.table)
    table = await consistency.table_of(settings.kafka, changelog, persons)
    keys = consistency.keys_of(table)
    events = await consistency.events_of(settings.kafka, settings.topic_prefix, persons, consistency.Report(), keys)
    mirrored = {row["id"] for row in await connection.fetch(f"SELECT id FROM {writer.schema}.birthing_persons")}
    now = datetime.now(UTC)
    changes = [
        Change(
            persons.table, person_id, version, replace(rebuilt.state, latest_labour=labour), now, "events", 0, 0, b""
        )
        for person_id, rebuilt in consistency.fold(persons, events).items()
        if person_id in mirrored and rebuilt.gap is None
        for labour, version in rebuilt.parts.values()
    ]
    for start in range(0, len(changes), LABOURS_PER_TRANSACTION):
        await writer.write_labours(connection, changes[start : start + LABOURS_PER_TRANSACTION])
    return len(changes)
