"""The mirror: bring the schema up to date, then follow the changelogs into PostgreSQL.

It runs inside each worker, or (LABOUR_TRACKER_MIRROR_IN_WORKER=false) in processes of its own, `labour-tracker
mirror follow`, which leave the workers' event loops to commands. Either way the mirrors share the changelogs'
partitions in a consumer group of their own. PostgreSQL being away delays only the mirror: commands, tables and
notifications go on, and readiness says PostgreSQL is down.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import mode
from aiokafka import ConsumerRecord

from labour_tracker.agents import topics
from labour_tracker.agents.command_handler import park
from labour_tracker.app import app
from labour_tracker.metrics import mirror_lag_seconds
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror, keep_running
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.tables.birthing_persons import birthing_persons
from labour_tracker.tables.notifications import notifications
from labour_tracker.tables.subscribers import subscribers

log = logging.getLogger(__name__)

MIRRORED_TABLES: tuple[Any, ...] = (birthing_persons, subscribers, notifications)


def changelogs() -> dict[str, str]:
    """Changelog topic -> the table it records, for every mirrored table."""
    return {table.changelog_topic.get_topic_name(): table.name for table in MIRRORED_TABLES}


def mirror_group(app_id: str, schema: str) -> str:
    """The consumer group mirroring into `schema`: a new schema is filled from the start of the changelogs."""
    return f"{app_id}-mirror-{schema}"


async def park_unreadable(record: ConsumerRecord[bytes, bytes], reason: str) -> None:
    key = record.key.decode(errors="replace") if record.key is not None else None
    now = datetime.now(UTC)
    await park(
        topics.dead_letters, record.topic, record.partition, record.offset, key, record.value or b"", reason, now
    )


def observe_lag(changes: list[Change], committed_at: datetime) -> None:
    for change in changes:
        mirror_lag_seconds.observe((committed_at - change.changed_at).total_seconds())


async def park_rejected(change: Change, reason: str) -> None:
    reason = f"mirror: {reason}"
    await park(topics.dead_letters, change.topic, change.partition, change.offset, change.key, change.raw, reason,
               datetime.now(UTC))  # fmt: skip


class MirrorService(mode.Service):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        settings = app.settings
        self.stopping = asyncio.Event()
        self.migrated = asyncio.Event()  # the schema is current: following
        self.database = Database(str(settings.database_url), max_size=2)
        self.mirror = ChangelogMirror(
            bootstrap=settings.kafka_bootstrap,
            tables=changelogs(),
            database=self.database,
            writer=MirrorWriter(settings.mirror_schema),
            unreadable=park_unreadable,
            rejected=park_rejected,
            batch_size=settings.mirror_batch_size,
            mirrored=observe_lag,
        )

    @mode.Service.task
    async def _run(self) -> None:
        await keep_running(self._follow, self.stopping, "the mirror")

    async def _follow(self) -> None:
        schema = app.settings.mirror_schema
        migrated, applied = await self.database.patiently(
            lambda connection: migrate(connection, schema), self.stopping, "migrating the mirror"
        )
        if applied:
            log.info("mirror schema %s migrated to version %s", schema, applied[-1])
        if migrated:
            self.migrated.set()
            await self.mirror.follow(mirror_group(app.conf.id, schema), self.stopping)

    async def on_stop(self) -> None:
        self.stopping.set()
        await self.database.close()


if app.settings.mirror_in_worker:
    app.service(MirrorService)
