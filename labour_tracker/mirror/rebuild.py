"""`labour-tracker mirror rebuild`: the mirror made anew from the changelogs, into a fresh schema.

The live mirror is left alone; the rebuilt schema ends at the changelogs' ends as they were when the rebuild
began, and its consumer group is committed there, so workers pointed at it (LABOUR_TRACKER_MIRROR_SCHEMA and
a rolling restart) go on from exactly where the rebuild stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka import ConsumerRecord

from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import check_schema_name, migrate
from labour_tracker.mirror.service import changelogs, mirror_group
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Rebuilt:
    schema: str
    changes: int = 0
    unreadable: int = 0
    rejected: int = 0


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
            bootstrap=settings.kafka_bootstrap,
            tables=changelogs(),
            database=database,
            writer=MirrorWriter(schema),
            unreadable=unreadable,
            rejected=rejected,
            batch_size=settings.mirror_batch_size,
        )
        report.changes = await mirror.copy(mirror_group(settings.app_id, schema))
    finally:
        await database.close()
    return report
