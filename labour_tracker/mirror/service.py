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

import faust
import mode
from aiokafka import ConsumerRecord

from labour_tracker.engine.parking import park
from labour_tracker.metrics import mirror_lag_seconds
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror, keep_running, mirror_group
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import Settings
from labour_tracker.tables.names import changelogs

log = logging.getLogger(__name__)


def observe_lag(changes: list[Change], committed_at: datetime) -> None:
    for change in changes:
        mirror_lag_seconds.observe((committed_at - change.changed_at).total_seconds())


class MirrorService(mode.Service):
    """The mirror of the tables of app `app_id`; what it cannot take is parked on `dead_letters`."""

    def __init__(self, settings: Settings, app_id: str, dead_letters: faust.TopicT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings, self.app_id, self.dead_letters = settings, app_id, dead_letters
        self.stopping = asyncio.Event()
        self.migrated = asyncio.Event()  # the schema is current: following
        self.database = Database(str(settings.database_url), max_size=2)
        self.mirror = ChangelogMirror(
            kafka=settings.kafka,
            tables=changelogs(app_id),
            database=self.database,
            writer=MirrorWriter(settings.mirror_schema),
            unreadable=self._park_unreadable,
            rejected=self._park_rejected,
            batch_size=settings.mirror_batch_size,
            mirrored=observe_lag,
        )

    @mode.Service.task
    async def _run(self) -> None:
        await keep_running(self._follow, self.stopping, "the mirror")

    async def _follow(self) -> None:
        schema = self.settings.mirror_schema
        migrated, applied = await self.database.patiently(
            lambda connection: migrate(connection, schema), self.stopping, "migrating the mirror"
        )
        if applied:
            log.info("mirror schema %s migrated to version %s", schema, applied[-1])
        if migrated:
            self.migrated.set()
            await self.mirror.follow(mirror_group(self.app_id, schema), self.stopping)

    async def _park_unreadable(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        key = record.key.decode(errors="replace") if record.key is not None else None
        await park(self.dead_letters, record.topic, record.partition, record.offset, key, record.value or b"", reason,
                   datetime.now(UTC))  # fmt: skip

    async def _park_rejected(self, change: Change, reason: str) -> None:
        await park(self.dead_letters, change.topic, change.partition, change.offset, change.key, change.raw,
                   f"mirror: {reason}", datetime.now(UTC))  # fmt: skip

    async def on_stop(self) -> None:
        self.stopping.set()
        await self.database.close()
