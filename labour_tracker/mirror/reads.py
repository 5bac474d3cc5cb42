"""What is read from the mirror rather than the tables: histories and lists, a page at a time.

Pages are keyset-paginated (`after` the last row of the previous page), so a page costs the same however
deep it is and rows added meanwhile neither repeat nor vanish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from labour_tracker.domain.labour import Contraction, LabourUpdate, Moment, UpdateKind
from labour_tracker.mirror.schema import check_schema_name


@dataclass(frozen=True)
class LabourRow:
    id: str
    first_labour: bool
    name: str | None
    start_time: datetime
    end_time: datetime | None
    phase: str
    notes: str | None
    alerts: tuple[str, ...]
    contractions: tuple[Contraction, ...]


@dataclass(frozen=True)
class LabourHeading:
    """A labour without its contractions, with whose it is: what an export starts with."""

    birthing_person_id: str
    id: str
    first_labour: bool
    name: str | None
    start_time: datetime
    end_time: datetime | None
    phase: str
    notes: str | None
    alerts: tuple[str, ...]


@dataclass(frozen=True)
class PersonRow:
    id: str
    first_name: str | None  # None while the person's own row has not reached the mirror
    last_name: str | None
    contact_methods: tuple[str, ...] = ()  # how the subscriber is told about them
    status: str = "pending"  # approved once the person's record says so
    role: str | None = None


@dataclass(frozen=True)
class SubscriberRow:
    id: str
    first_name: str
    last_name: str
    contact_methods: tuple[str, ...]
    role: str | None = None


@dataclass(frozen=True)
class NameRow:
    id: str
    first_name: str | None  # None while the subscriber's row has not reached the mirror
    last_name: str | None


class MirrorReads:
    def __init__(self, schema: str) -> None:
        self.schema = check_schema_name(schema)

    async def labours(
        self, connection: asyncpg.Connection, person_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[LabourRow]:
        """A person's labours, latest first, each with its contractions in the order they started."""
        s = self.schema
        start, labour_id = after if after is not None else (None, None)
        labours = await connection.fetch(
            f"""SELECT id, first_labour, name, start_time, end_time, phase, notes, alerts FROM {s}.labours
                WHERE birthing_person_id = $1 AND ($2::timestamptz IS NULL OR (start_time, id) < ($2, $3))
                ORDER BY start_time DESC, id DESC LIMIT $4""",
            person_id,
            start,
            labour_id,
            limit,
        )
        contractions: dict[str, list[Contraction]] = {row["id"]: [] for row in labours}
        for row in await connection.fetch(
            f"""SELECT labour_id, id, start_time, end_time, intensity, notes FROM {s}.contractions
                WHERE labour_id = ANY($1::text[]) ORDER BY labour_id, start_time, id""",
            list(contractions),
        ):
            contractions[row["labour_id"]].append(
                Contraction(row["id"], row["start_time"], row["end_time"], row["intensity"], row["notes"])
            )
        return [
            LabourRow(
                row["id"], row["first_labour"], row["name"], row["start_time"], row["end_time"], row["phase"],
                row["notes"], tuple(row["alerts"]), tuple(contractions[row["id"]]),
            )
            for row in labours
        ]  # fmt: skip

    async def labour(self, connection: asyncpg.Connection, labour_id: str) -> LabourHeading | None:
        """One labour by its id, whoever's it is (the caller decides who may see it); None if there is none."""
        row = await connection.fetchrow(
            f"""SELECT birthing_person_id, id, first_labour, name, start_time, end_time, phase, notes, alerts
                FROM {self.schema}.labours WHERE id = $1""",
            labour_id,
        )
        if row is None:
            return None
        return LabourHeading(
            row["birthing_person_id"], row["id"], row["first_labour"], row["name"], row["start_time"],
            row["end_time"], row["phase"], row["notes"], tuple(row["alerts"]),
        )  # fmt: skip

    async def contractions(
        self, connection: asyncpg.Connection, labour_id: str, batch: int
    ) -> AsyncIterator[list[Contraction]]:
        """A labour's contractions in the order they started, `batch` rows at a time from a server-side cursor, so a
        long labour is never held whole. Run it inside a transaction (a cursor lives in one)."""
        cursor = await connection.cursor(
            f"""SELECT id, start_time, end_time, intensity, notes FROM {self.schema}.contractions
                WHERE labour_id = $1 ORDER BY start_time, id""",
            labour_id,
        )
        while rows := await cursor.fetch(batch):
            yield [Contraction(r["id"], r["start_time"], r["end_time"], r["intensity"], r["notes"]) for r in rows]
            if len(rows) < batch:
                return

    async def updates(self, connection: asyncpg.Connection, labour_id: str) -> list[LabourUpdate]:
        """A labour's updates in the order they were posted (at most a labour's limit of them)."""
        rows = await connection.fetch(
            f"""SELECT id, kind, message, posted_by, posted_at, edited_at, moment FROM {self.schema}.labour_updates
                WHERE labour_id = $1 ORDER BY posted_at, id""",
            labour_id,
        )
        return [
            LabourUpdate(r["id"], UpdateKind(r["kind"]), r["message"], r["posted_by"], r["posted_at"], r["edited_at"],
                         Moment(r["moment"]) if r["moment"] else None)
            for r in rows
        ]  # fmt: skip

    async def subscribers_of(
        self, connection: asyncpg.Connection, person_id: str, limit: int, after: str | None
    ) -> list[SubscriberRow]:
        """The subscribers following a person (approved: not those still asking), with their names, the channels
        they chose for them and their roles, by id."""
        s = self.schema
        rows = await connection.fetch(
            f"""SELECT subscriber.id, subscriber.first_name, subscriber.last_name, subscription.contact_methods,
                       follower.role
                FROM {s}.subscriptions AS subscription JOIN {s}.subscribers AS subscriber
                    ON subscriber.id = subscription.subscriber_id
                JOIN {s}.followers AS follower ON follower.birthing_person_id = subscription.birthing_person_id
                    AND follower.subscriber_id = subscription.subscriber_id AND follower.status = 'approved'
                WHERE subscription.birthing_person_id = $1 AND ($2::text IS NULL OR subscription.subscriber_id > $2)
                ORDER BY subscription.subscriber_id LIMIT $3""",
            person_id,
            after,
            limit,
        )
        return [
            SubscriberRow(r["id"], r["first_name"], r["last_name"], tuple(r["contact_methods"]), r["role"])
            for r in rows
        ]

    async def subscriber_names(self, connection: asyncpg.Connection, ids: list[str]) -> dict[str, NameRow]:
        """The names of these subscribers the mirror holds, by id."""
        rows = await connection.fetch(
            f"SELECT id, first_name, last_name FROM {self.schema}.subscribers WHERE id = ANY($1::text[])", ids
        )
        return {r["id"]: NameRow(r["id"], r["first_name"], r["last_name"]) for r in rows}

    async def follower_role(self, connection: asyncpg.Connection, person_id: str, subscriber_id: str) -> str | None:
        """The role the person approved the subscriber in; None unless they follow."""
        role: str | None = await connection.fetchval(
            f"""SELECT role FROM {self.schema}.followers
                WHERE birthing_person_id = $1 AND subscriber_id = $2 AND status = 'approved'""",
            person_id,
            subscriber_id,
        )
        return role

    async def followed_by(
        self, connection: asyncpg.Connection, subscriber_id: str, limit: int, after: str | None
    ) -> list[PersonRow]:
        """The birthing persons a subscriber follows or asked to, with their names, the channels they are told by,
        whether the person approved it and the role they gave, by id."""
        s = self.schema
        rows = await connection.fetch(
            f"""SELECT subscription.birthing_person_id AS id, person.first_name, person.last_name,
                       subscription.contact_methods, coalesce(follower.status, 'pending') AS status, follower.role
                FROM {s}.subscriptions AS subscription LEFT JOIN {s}.birthing_persons AS person
                    ON person.id = subscription.birthing_person_id
                LEFT JOIN {s}.followers AS follower ON follower.birthing_person_id = subscription.birthing_person_id
                    AND follower.subscriber_id = subscription.subscriber_id
                WHERE subscription.subscriber_id = $1 AND ($2::text IS NULL OR subscription.birthing_person_id > $2)
                ORDER BY subscription.birthing_person_id LIMIT $3""",
            subscriber_id,
            after,
            limit,
        )
        return [
            PersonRow(r["id"], r["first_name"], r["last_name"], tuple(r["contact_methods"]), r["status"], r["role"])
            for r in rows
        ]

    async def notifications_about(
        self, connection: asyncpg.Connection, person_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[NotificationRow]:
        """The notifications about a person's labours, newest first."""
        return await _notifications(connection, self.schema, "birthing_person_id", person_id, limit, after)

    async def notifications_to(
        self, connection: asyncpg.Connection, subscriber_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[NotificationRow]:
        """The notifications sent to a subscriber (news and confirmation codes), newest first."""
        return await _notifications(connection, self.schema, "subscriber_id", subscriber_id, limit, after)

    async def notification_states(self, connection: asyncpg.Connection, ids: list[str]) -> dict[str, NotificationState]:
        """Each of these notifications the mirror holds, by id."""
        rows = await connection.fetch(
            f"""SELECT id, event_id, birthing_person_id, subscriber_id, channel, status, reason, event_type,
                       labour_id, update_id
                FROM {self.schema}.notifications WHERE id = ANY($1::text[])""",
            ids,
        )
        return {
            r["id"]: NotificationState(
                r["event_id"], r["birthing_person_id"], r["subscriber_id"], r["channel"], r["status"], r["reason"],
                r["event_type"], r["labour_id"], r["update_id"],
            )
            for r in rows
        }  # fmt: skip


@dataclass(frozen=True)
class NotificationState:
    """What a resend is decided on: whose notification it is, what made it, and how it ended."""

    event_id: str
    birthing_person_id: str
    subscriber_id: str
    channel: str
    status: str
    reason: str | None
    event_type: str  # what its news was, and so which words a resend carries
    labour_id: str
    update_id: str | None  # the update it told of (`labour.update_posted`); None before notifications named it


@dataclass(frozen=True)
class NotificationRow:
    """One notification as a list shows it: never its destination, only the masked form."""

    id: str
    event_type: str
    birthing_person_id: str
    birthing_person_first_name: str | None
    birthing_person_last_name: str | None
    subscriber_id: str
    subscriber_first_name: str | None
    subscriber_last_name: str | None
    channel: str
    status: str
    reason: str | None
    masked_destination: str
    created_at: datetime
    updated_at: datetime


async def _notifications(
    connection: asyncpg.Connection, schema: str, where: str, whose: str, limit: int, after: tuple[datetime, str] | None
) -> list[NotificationRow]:
    s = schema
    created, notification_id = after if after is not None else (None, None)
    rows = await connection.fetch(
        f"""SELECT n.id, n.event_type, n.birthing_person_id, person.first_name AS person_first_name,
                   person.last_name AS person_last_name, n.subscriber_id,
                   subscriber.first_name AS subscriber_first_name, subscriber.last_name AS subscriber_last_name,
                   n.channel, n.status, n.reason, n.masked_destination, n.created_at, n.updated_at
            FROM {s}.notifications AS n
                LEFT JOIN {s}.birthing_persons AS person ON person.id = n.birthing_person_id
                LEFT JOIN {s}.subscribers AS subscriber ON subscriber.id = n.subscriber_id
            WHERE n.{where} = $1 AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3))
            ORDER BY n.created_at DESC, n.id DESC LIMIT $4""",
        whose,
        created,
        notification_id,
        limit,
    )
    return [
        NotificationRow(
            r["id"], r["event_type"], r["birthing_person_id"], r["person_first_name"], r["person_last_name"],
            r["subscriber_id"], r["subscriber_first_name"], r["subscriber_last_name"], r["channel"], r["status"],
            r["reason"], r["masked_destination"], r["created_at"], r["updated_at"],
        )
        for r in rows
    ]  # fmt: skip
