"""Write a batch of changes into the mirror: one transaction, one statement per SQL table, newer versions only.

An aggregate's row lands only when its version is newer than the row's, and its children (labours,
contractions, subscriptions) are written only for the aggregates that advanced, so a redelivered or
out-of-order record changes nothing. A change PostgreSQL refuses as data (a value out of range, say) is set
aside and reported; the rest of its batch lands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.memo import LastUsed
from labour_tracker.mirror import rows
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import check_schema_name

Rejected = Callable[[Change, str], Awaitable[None]]  # told of each change set aside, with the reason

# Classes of SQLSTATE that mean the data is at fault (22 data exception, 23 integrity constraint violation);
# anything else (the server gone, a restart, a deadlock) is worth the same batch again later.
DATA_ERRORS = ("22", "23")


def is_data_error(error: BaseException) -> bool:
    return isinstance(error, asyncpg.PostgresError) and str(getattr(error, "sqlstate", "")).startswith(DATA_ERRORS)


PERSONS_KEPT = 1_000  # birthing persons whose last written state the writer keeps
CONTRACTIONS_KEPT = 100_000  # and the contractions and updates of their latest labours, at most


class MirrorWriter:
    def __init__(self, schema: str) -> None:
        s = check_schema_name(schema)
        self.schema = s
        # The persons this writer wrote last, as written: a change writes only the contractions that differ (a
        # labour's contractions are all in every change, and only the latest changes). Kept only while no other
        # writer can write them, that is while this worker holds their changelog's partitions.
        self.written: LastUsed[BirthingPerson] = LastUsed(PERSONS_KEPT, CONTRACTIONS_KEPT)
        self._persons = f"""
            INSERT INTO {s}.birthing_persons AS row
                (id, first_name, last_name, subscription_token_version, version, changed_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[], $6::timestamptz[])
            ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                subscription_token_version = excluded.subscription_token_version, version = excluded.version,
                changed_at = excluded.changed_at, mirrored_at = clock_timestamp()
            WHERE row.version < excluded.version
            RETURNING id"""
        self._labours = f"""
            INSERT INTO {s}.labours AS row
                (id, birthing_person_id, first_labour, start_time, end_time, phase, notes, alerts, version, name)
            SELECT id, person, first_labour, start_time, end_time, phase, notes, string_to_array(alerts, ','), version,
                name
            FROM unnest($1::text[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[], $6::text[],
                        $7::text[], $8::text[], $9::bigint[], $10::text[])
                AS given (id, person, first_labour, start_time, end_time, phase, notes, alerts, version, name)
            ON CONFLICT (id) DO UPDATE SET end_time = excluded.end_time, phase = excluded.phase,
                notes = excluded.notes, alerts = excluded.alerts, version = excluded.version, name = excluded.name
            WHERE row.version < excluded.version"""
        self._contractions = f"""
            INSERT INTO {s}.contractions AS row (id, labour_id, start_time, end_time, intensity, notes, version)
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::smallint[],
                                 $6::text[], $7::bigint[])
            ON CONFLICT (id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time,
                intensity = excluded.intensity, version = excluded.version,
                -- no command clears a note; a record read from before the limits may have let go of one
                notes = coalesce(excluded.notes, row.notes)
            WHERE row.version < excluded.version"""
        # A labour's contractions as its record has them now: one deleted from it leaves the mirror too.
        self._contractions_gone = f"""
            DELETE FROM {s}.contractions AS row
            USING unnest($1::text[], $2::text[]) AS kept (labour_id, ids)
            WHERE row.labour_id = kept.labour_id AND row.id NOT IN (SELECT unnest(string_to_array(kept.ids, ',')))"""
        self._updates = f"""
            INSERT INTO {s}.labour_updates AS row
                (id, labour_id, kind, message, moment, posted_by, posted_at, edited_at, version)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::timestamptz[], $8::timestamptz[], $9::bigint[])
            ON CONFLICT (id) DO UPDATE SET message = excluded.message, edited_at = excluded.edited_at,
                version = excluded.version
            WHERE row.version < excluded.version"""
        # A labour's updates as its record has them now: one deleted from it leaves the mirror too.
        self._updates_gone = f"""
            DELETE FROM {s}.labour_updates AS row
            USING unnest($1::text[], $2::text[]) AS kept (labour_id, ids)
            WHERE row.labour_id = kept.labour_id AND row.id NOT IN (SELECT unnest(string_to_array(kept.ids, ',')))"""
        # A labour the person deleted leaves the mirror with its contractions and the notifications about it.
        deleted = f"""SELECT l.id FROM {s}.labours AS l, unnest($1::text[], $2::text[]) AS gone (person, ids)
                      WHERE l.birthing_person_id = gone.person AND l.id = ANY (string_to_array(gone.ids, ','))"""
        self._labours_deleted = [
            f"DELETE FROM {s}.contractions WHERE labour_id IN ({deleted})",
            f"DELETE FROM {s}.labour_updates WHERE labour_id IN ({deleted})",
            f"DELETE FROM {s}.notifications WHERE labour_id IN ({deleted})",
            f"DELETE FROM {s}.labours WHERE id IN ({deleted})",
        ]
        self._subscribers = f"""
            INSERT INTO {s}.subscribers AS row
                (id, first_name, last_name, phone_number, email, contact_methods, version, changed_at)
            SELECT id, first_name, last_name, phone_number, email, string_to_array(methods, ','), version, changed_at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                        $8::timestamptz[])
                AS given (id, first_name, last_name, phone_number, email, methods, version, changed_at)
            ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                phone_number = excluded.phone_number, email = excluded.email,
                contact_methods = excluded.contact_methods, version = excluded.version,
                changed_at = excluded.changed_at, mirrored_at = clock_timestamp()
            WHERE row.version < excluded.version
            RETURNING id"""
        # A person's followers as their record has them now: written whole for each person that advanced.
        self._forget_followers = f"DELETE FROM {s}.followers WHERE birthing_person_id = ANY($1::text[])"
        self._followers = f"""
            INSERT INTO {s}.followers (birthing_person_id, subscriber_id, status, role)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"""
        self._forget_subscriptions = f"DELETE FROM {s}.subscriptions WHERE subscriber_id = ANY($1::text[])"
        self._subscriptions = f"""
            INSERT INTO {s}.subscriptions (subscriber_id, birthing_person_id, contact_methods)
            SELECT subscriber_id, birthing_person_id, string_to_array(methods, ',')
            FROM unnest($1::text[], $2::text[], $3::text[]) AS given (subscriber_id, birthing_person_id, methods)"""
        # An erased aggregate's rows go, with everything of it: its labours and contractions, the notifications
        # about it or to it, the subscriptions on either side.
        self._erase = {
            "birthing_persons": [
                f"""DELETE FROM {s}.contractions WHERE labour_id IN
                    (SELECT id FROM {s}.labours WHERE birthing_person_id = ANY($1::text[]))""",
                f"""DELETE FROM {s}.labour_updates WHERE labour_id IN
                    (SELECT id FROM {s}.labours WHERE birthing_person_id = ANY($1::text[]))""",
                f"DELETE FROM {s}.labours WHERE birthing_person_id = ANY($1::text[])",
                f"DELETE FROM {s}.notifications WHERE birthing_person_id = ANY($1::text[])",
                f"DELETE FROM {s}.subscriptions WHERE birthing_person_id = ANY($1::text[])",
                f"DELETE FROM {s}.followers WHERE birthing_person_id = ANY($1::text[])",
                f"DELETE FROM {s}.birthing_persons WHERE id = ANY($1::text[])",
            ],
            "subscribers": [
                f"DELETE FROM {s}.subscriptions WHERE subscriber_id = ANY($1::text[])",
                f"DELETE FROM {s}.followers WHERE subscriber_id = ANY($1::text[])",
                f"DELETE FROM {s}.notifications WHERE subscriber_id = ANY($1::text[])",
                f"DELETE FROM {s}.subscribers WHERE id = ANY($1::text[])",
            ],
            "notifications": [f"DELETE FROM {s}.notifications WHERE id = ANY($1::text[])"],
        }
        self._notifications = f"""
            INSERT INTO {s}.notifications AS row
                (id, event_id, event_type, birthing_person_id, labour_id, subscriber_id, channel, destination,
                 status, provider_id, reason, attempts, created_at, updated_at, version, changed_at,
                 masked_destination, update_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::text[], $9::text[], $10::text[], $11::text[], $12::integer[],
                                 $13::timestamptz[], $14::timestamptz[], $15::bigint[], $16::timestamptz[],
                                 $17::text[], $18::text[])
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, destination = excluded.destination,
                masked_destination = excluded.masked_destination, update_id = excluded.update_id,
                provider_id = excluded.provider_id,
                reason = excluded.reason, attempts = excluded.attempts, updated_at = excluded.updated_at,
                version = excluded.version, changed_at = excluded.changed_at, mirrored_at = clock_timestamp()
            WHERE row.version < excluded.version"""

    async def write(self, connection: asyncpg.Connection, changes: list[Change], rejected: Rejected) -> None:
        """Write the batch in one transaction; if PostgreSQL refuses its data, write each change alone.

        Raises on anything else (the server unreachable, say): nothing of the batch was written then.
        """
        erased, after = rows.erasures(changes)
        batch = rows.latest(after)
        try:
            async with connection.transaction():
                await self._delete(connection, erased)
                persons = await self._write(connection, batch)
        except asyncpg.PostgresError as error:
            if not is_data_error(error):
                raise
            async with connection.transaction():
                await self._delete(connection, erased)
            await self._write_one_by_one(connection, batch, rejected)
        else:
            self._remember(persons)

    async def _delete(self, connection: asyncpg.Connection, erased: dict[str, list[str]]) -> None:
        for table, keys in erased.items():
            if table == "birthing_persons":
                for key in keys:
                    self.written.take(key)
            for sql in self._erase[table]:
                await connection.execute(sql, keys)

    async def write_labours(self, connection: asyncpg.Connection, changes: list[Change]) -> None:
        """Write the labours the changes hold, and their contractions, each under its own version guard, whatever
        the person's row says: for labours a person's record no longer holds."""
        async with connection.transaction():
            await self._run(connection, self._labours, rows.labour_rows(changes))
            await self._run(connection, self._contractions, rows.contraction_rows(changes, lambda key: None))
            await self._run(connection, self._updates, rows.update_rows(changes, lambda key: None))

    async def _write_one_by_one(self, connection: asyncpg.Connection, batch: list[Change], rejected: Rejected) -> None:
        for change in batch:
            try:
                async with connection.transaction():
                    persons = await self._write(connection, [change])
            except asyncpg.PostgresError as error:
                if not is_data_error(error):
                    raise
                # The code, not PostgreSQL's message: that may quote the value, which may be a name or a note.
                await rejected(change, f"{type(error).__name__} (SQLSTATE {error.sqlstate})")
            else:
                self._remember(persons)

    def _remember(self, persons: list[Change]) -> None:
        for change in persons:
            weight = 1 + rows.contraction_count(change.state) + rows.update_count(change.state)
            self.written.keep(change.key, change.state, weight)

    def forget(self) -> None:
        """Forget what was written: call it when the changelogs' partitions move, as another worker may write them."""
        self.written.clear()

    async def _write(self, connection: asyncpg.Connection, batch: list[Change]) -> list[Change]:
        """Write the batch; returns the changes of birthing persons that were newer than their rows."""
        by_table: dict[str, list[Change]] = {}
        for change in batch:
            by_table.setdefault(change.table, []).append(change)
        advanced_persons: list[Change] = []
        if persons := by_table.get("birthing_persons"):
            newest = rows.newest(persons)
            advanced_persons = await self._advanced(connection, self._persons, rows.person_rows(newest), newest)
            moved_on = {change.key for change in advanced_persons}
            # Each labour from the last change that held it: an earlier labour may have ended in the same batch.
            labours = [change for change in persons if change.key in moved_on]
            await self._run(connection, self._labours, rows.labour_rows(labours))
            await self._run(connection, self._contractions, rows.contraction_rows(labours, self.written.get))
            await self._run(connection, self._contractions_gone, rows.kept_contractions(labours, self.written.get))
            await self._run(connection, self._updates, rows.update_rows(labours, self.written.get))
            await self._run(connection, self._updates_gone, rows.kept_updates(labours, self.written.get))
            for sql in self._labours_deleted:
                await self._run(connection, sql, rows.deleted_labours(rows.newest(advanced_persons)))
            if advanced_persons:
                await connection.execute(self._forget_followers, [each.key for each in advanced_persons])
                await self._run(connection, self._followers, rows.follower_rows(rows.newest(advanced_persons)))
        if subscribers := by_table.get("subscribers"):
            advanced = await self._advanced(
                connection, self._subscribers, rows.subscriber_rows(subscribers), subscribers
            )
            if advanced:
                await connection.execute(self._forget_subscriptions, [each.key for each in advanced])
                await self._run(connection, self._subscriptions, rows.subscription_rows(advanced))
        if notifications := by_table.get("notifications"):
            await self._run(connection, self._notifications, rows.notification_rows(notifications))
        return advanced_persons

    @staticmethod
    async def _advanced(
        connection: asyncpg.Connection, sql: str, columns: list[list[Any]], changes: list[Change]
    ) -> list[Change]:
        """Upsert the aggregates' rows; the changes that were newer than their rows."""
        written = {row["id"] for row in await connection.fetch(sql, *columns)}
        return [change for change in changes if change.key in written]

    @staticmethod
    async def _run(connection: asyncpg.Connection, sql: str, columns: list[list[Any]]) -> None:
        if columns and columns[0]:
            await connection.execute(sql, *columns)
