"""The mirror's writer against a real PostgreSQL: versions guard every row, and one bad change sinks no batch."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.domain import notification
from labour_tracker.domain.labour import Alert, BirthingPerson, Contraction, Labour, LabourUpdate, Phase, UpdateKind
from labour_tracker.domain.subscriber import ContactMethod, Subscriber
from labour_tracker.mirror.reads import MirrorReads
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate, migrations
from labour_tracker.mirror.writer import MirrorWriter

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SUBSCRIPTION_CHANNELS = 6  # the migration that gives each subscription its channels
NOTIFICATION_UPDATE_ID = 8  # the migration that names the update a notification told of


@pytest.fixture
async def connection(postgres: PostgresCluster) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres.dsn)
    yield connection
    await connection.close()


@pytest.fixture
async def schema(connection: asyncpg.Connection) -> AsyncIterator[str]:
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    await migrate(connection, name)
    yield name
    await connection.execute(f"DROP SCHEMA {name} CASCADE")


class Rejections:
    def __init__(self) -> None:
        self.seen: list[tuple[Change, str]] = []

    async def __call__(self, change: Change, reason: str) -> None:
        self.seen.append((change, reason))


def person(contractions: int = 0, *, ended: bool = True, notes: str | None = None) -> BirthingPerson:
    taken = tuple(
        Contraction(
            id=f"c{i}",
            start_time=T0 + timedelta(minutes=5 * i),
            end_time=T0 + timedelta(minutes=5 * i, seconds=70) if ended or i < contractions - 1 else None,
            intensity=6,
            notes=notes,
        )
        for i in range(contractions)
    )
    labour = Labour("l1", True, T0, None, Phase.EARLY, None, taken, frozenset())
    return BirthingPerson("p1", "Ada", "Lovelace", labour, (), frozenset(), 0)


def change(state: object, version: int, table: str = "birthing_persons", offset: int = 0) -> Change:
    key = getattr(state, "id")  # noqa: B009
    return Change(table, key, version, state, T0, f"{table}-changelog", 0, offset, b"{}")


async def contraction_rows(connection: asyncpg.Connection, schema: str) -> list[tuple[str, datetime | None]]:
    rows = await connection.fetch(f"SELECT id, end_time FROM {schema}.contractions ORDER BY id")
    return [(row["id"], row["end_time"]) for row in rows]


async def test_a_change_lands_with_its_labours_and_contractions(connection, schema):
    await MirrorWriter(schema).write(connection, [change(person(3), 5)], Rejections())

    row = await connection.fetchrow(f"SELECT first_name, version FROM {schema}.birthing_persons WHERE id = 'p1'")
    assert (row["first_name"], row["version"]) == ("Ada", 5)
    labour = await connection.fetchrow(f"SELECT phase, alerts, end_time FROM {schema}.labours WHERE id = 'l1'")
    assert (labour["phase"], labour["alerts"], labour["end_time"]) == ("early", [], None)
    assert [each[0] for each in await contraction_rows(connection, schema)] == ["c0", "c1", "c2"]


async def test_a_labours_name_is_mirrored_and_a_labour_without_one_has_none(connection, schema):
    named = person()
    assert named.latest_labour is not None
    named = replace(named, latest_labour=replace(named.latest_labour, name="Baby\x00 Lovelace"))
    await MirrorWriter(schema).write(connection, [change(named, 1)], Rejections())
    first = await connection.fetchval(f"SELECT name FROM {schema}.labours WHERE id = 'l1'")

    unnamed = person()
    assert unnamed.latest_labour is not None
    unnamed = replace(unnamed, id="p2", latest_labour=replace(unnamed.latest_labour, id="l2"))
    await MirrorWriter(schema).write(connection, [change(unnamed, 1)], Rejections())
    second = await connection.fetchval(f"SELECT name FROM {schema}.labours WHERE id = 'l2'")

    assert first == "Baby\ufffd Lovelace"  # PostgreSQL text holds no NUL
    assert second is None


async def test_a_redelivered_change_is_not_written_again(connection, schema):
    writer = MirrorWriter(schema)
    await writer.write(connection, [change(person(2), 4)], Rejections())
    first = await connection.fetchval(f"SELECT mirrored_at FROM {schema}.birthing_persons")

    await writer.write(connection, [change(person(2), 4)], Rejections())

    assert await connection.fetchval(f"SELECT mirrored_at FROM {schema}.birthing_persons") == first


async def test_an_older_version_than_the_row_changes_nothing(connection, schema):
    writer = MirrorWriter(schema)
    newer = person(2)
    older = replace(person(2, ended=False), first_name="Old")
    await writer.write(connection, [change(newer, 7)], Rejections())

    await writer.write(connection, [change(older, 6)], Rejections())

    assert await connection.fetchval(f"SELECT first_name FROM {schema}.birthing_persons") == "Ada"
    assert all(end is not None for _, end in await contraction_rows(connection, schema))


async def test_out_of_order_changes_in_one_batch_leave_the_newest(connection, schema):
    newest, middle = person(3), person(2)

    await MirrorWriter(schema).write(connection, [change(newest, 9), change(middle, 8)], Rejections())

    assert await connection.fetchval(f"SELECT version FROM {schema}.birthing_persons") == 9
    assert len(await contraction_rows(connection, schema)) == 3


async def test_a_bad_change_is_set_aside_and_the_rest_of_its_batch_lands(connection, schema):
    good = replace(person(1), id="p-good")
    good = replace(good, latest_labour=replace(good.latest_labour, id="l-good", contractions=()))
    impossible = person(1)  # an intensity PostgreSQL's check refuses: no worker would record it
    labour = impossible.latest_labour
    impossible = replace(
        impossible, latest_labour=replace(labour, contractions=(replace(labour.contractions[0], intensity=42),))
    )
    rejections = Rejections()

    await MirrorWriter(schema).write(
        connection, [change(impossible, 3, offset=1), change(good, 2, offset=2)], rejections
    )

    assert await connection.fetchval(f"SELECT array_agg(id) FROM {schema}.birthing_persons") == ["p-good"]
    assert [(each.key, each.offset) for each, _ in rejections.seen] == [("p1", 1)]
    assert "CheckViolation" in rejections.seen[0][1]


async def contraction_versions(connection: asyncpg.Connection, schema: str) -> dict[str, tuple[int, bool]]:
    rows = await connection.fetch(f"SELECT id, version, end_time FROM {schema}.contractions")
    return {row["id"]: (row["version"], row["end_time"] is not None) for row in rows}


async def test_a_change_writes_only_the_contractions_that_differ_from_what_the_writer_wrote(connection, schema):
    writer = MirrorWriter(schema)
    await writer.write(connection, [change(person(3, ended=False), 5)], Rejections())

    await writer.write(connection, [change(person(4, ended=False), 6)], Rejections())  # c2 ended, c3 began

    versions = await contraction_versions(connection, schema)
    assert versions == {"c0": (5, True), "c1": (5, True), "c2": (6, True), "c3": (6, False)}


async def test_after_its_partitions_move_the_writer_writes_every_contraction_again(connection, schema):
    writer = MirrorWriter(schema)
    await writer.write(connection, [change(person(2), 5)], Rejections())
    await connection.execute(f"UPDATE {schema}.contractions SET end_time = NULL")  # as another writer might have

    writer.forget()
    await writer.write(connection, [change(person(2), 6)], Rejections())

    assert await contraction_versions(connection, schema) == {"c0": (6, True), "c1": (6, True)}


async def test_text_with_a_nul_character_is_kept_without_it(connection, schema):
    await MirrorWriter(schema).write(connection, [change(person(1, notes="before\x00after"), 2)], Rejections())

    assert await connection.fetchval(f"SELECT notes FROM {schema}.contractions") == "before\ufffdafter"


async def test_a_newer_subscriber_replaces_their_subscriptions(connection, schema):
    writer = MirrorWriter(schema)
    first = Subscriber(
        "s1", "Grace", "Hopper", "+447700900001", None, frozenset({ContactMethod.SMS}), frozenset({"a", "b"})
    )
    later = replace(first, subscribed_to=frozenset({"b", "c"}), contact_methods=frozenset(ContactMethod))
    await writer.write(connection, [change(first, 2, "subscribers")], Rejections())
    await writer.write(connection, [change(later, 3, "subscribers")], Rejections())

    await writer.write(connection, [change(first, 2, "subscribers")], Rejections())  # redelivered, late

    followed = await connection.fetch(f"SELECT birthing_person_id FROM {schema}.subscriptions ORDER BY 1")
    assert [row[0] for row in followed] == ["b", "c"]
    methods = await connection.fetchval(f"SELECT contact_methods FROM {schema}.subscribers WHERE id = 's1'")
    assert methods == ["email", "sms"]


async def test_each_subscription_keeps_the_channels_chosen_for_it_and_both_sides_read_them(connection, schema):
    writer, reads = MirrorWriter(schema), MirrorReads(schema)
    sam = Subscriber(
        "s1", "Sam", "Lee", "+447700900001", "sam@example.org", frozenset(ContactMethod), frozenset({"a", "b"}),
        subscription_contact_methods={"a": frozenset({ContactMethod.SMS})},
    )  # fmt: skip
    await writer.write(connection, [change(sam, 2, "subscribers")], Rejections())
    followed = [replace(person(), id=each, latest_labour=None, subscribers=frozenset({"s1"})) for each in "ab"]
    await writer.write(connection, [change(each, 1) for each in followed], Rejections())  # each approved him
    assert [(row.id, row.contact_methods) for row in await reads.followed_by(connection, "s1", 10, None)] == [
        ("a", ("sms",)),
        ("b", ("email", "sms")),
    ]

    by_email = {**sam.subscription_contact_methods, "b": frozenset({ContactMethod.EMAIL})}
    chose_email = replace(sam, subscription_contact_methods=by_email)
    await writer.write(connection, [change(chose_email, 3, "subscribers")], Rejections())
    await writer.write(connection, [change(sam, 2, "subscribers")], Rejections())  # redelivered, late

    assert [row.contact_methods for row in await reads.subscribers_of(connection, "a", 10, None)] == [("sms",)]
    assert [row.contact_methods for row in await reads.subscribers_of(connection, "b", 10, None)] == [("email",)]


async def migrated_before(connection: asyncpg.Connection, name: str, version: int) -> None:
    """Schema `name` as a mirror left it before migration `version`; within the caller's transaction, which the
    search path lasts for."""
    before = [each for each in migrations() if each.version < version]
    await connection.execute(f"CREATE SCHEMA {name}")
    await connection.execute(f"SET LOCAL search_path TO {name}")
    for each in before:
        await connection.execute(each.sql)
    await connection.execute(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    await connection.executemany(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [(m.version, m.name) for m in before]
    )


async def test_subscriptions_mirrored_before_their_channels_were_take_the_accounts(connection):
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    try:
        async with connection.transaction():
            await migrated_before(connection, name, SUBSCRIPTION_CHANNELS)
            await connection.execute(
                "INSERT INTO subscribers (id, first_name, last_name, contact_methods, version, changed_at)"
                " VALUES ('s1', 'Sam', 'Lee', '{email}', 1, now())"
            )
            await connection.execute("INSERT INTO subscriptions VALUES ('s1', 'a')")

        assert await migrate(connection, name) == [
            m.version for m in migrations() if m.version >= SUBSCRIPTION_CHANNELS
        ]
        assert await connection.fetchval(f"SELECT contact_methods FROM {name}.subscriptions") == ["email"]
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


async def test_alerts_are_mirrored_as_a_list(connection, schema):
    alerted = person(1)
    alerted = replace(alerted, latest_labour=replace(alerted.latest_labour, alerts=frozenset(Alert)))

    await MirrorWriter(schema).write(connection, [change(alerted, 2)], Rejections())

    alerts = await connection.fetchval(f"SELECT alerts FROM {schema}.labours")
    assert alerts == ["hospital", "prepare_for_hospital", "urgent_attention"]


async def test_migrations_apply_once_however_often_they_run(connection, schema):
    assert await migrate(connection, schema) == []
    recorded = await connection.fetch(f"SELECT version FROM {schema}.schema_migrations ORDER BY version")
    assert [row[0] for row in recorded] == [each.version for each in migrations()]


async def test_workers_migrating_together_apply_each_migration_once(postgres: PostgresCluster):
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    first, second = await asyncpg.connect(postgres.dsn), await asyncpg.connect(postgres.dsn)
    try:
        applied = await asyncio.gather(migrate(first, name), migrate(second, name))
        assert sorted(applied, key=len) == [[], [each.version for each in migrations()]]
    finally:
        await first.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await first.close()
        await second.close()


def with_updates(*messages: str | None) -> BirthingPerson:
    """A labour with an update for each message given (`u<place>`); one ending in `!` was edited."""
    updates = tuple(
        LabourUpdate(f"u{i}", UpdateKind.STATUS_UPDATE, message, "p1", T0, T0 if message.endswith("!") else None)
        for i, message in enumerate(messages)
        if message is not None
    )
    found = person(1)
    return replace(found, latest_labour=replace(found.latest_labour, updates=updates))


async def update_rows(connection: asyncpg.Connection, schema: str) -> dict[str, tuple[str, int]]:
    rows = await connection.fetch(f"SELECT id, message, version FROM {schema}.labour_updates")
    return {row["id"]: (row["message"], row["version"]) for row in rows}


async def test_a_labours_updates_are_mirrored_edited_and_deleted_as_its_record_has_them(connection, schema):
    writer = MirrorWriter(schema)
    await writer.write(connection, [change(with_updates("one", "two", "three"), 5)], Rejections())
    assert await update_rows(connection, schema) == {"u0": ("one", 5), "u1": ("two", 5), "u2": ("three", 5)}

    await writer.write(connection, [change(with_updates("one", None, "three!"), 6)], Rejections())

    assert await update_rows(connection, schema) == {"u0": ("one", 5), "u2": ("three!", 6)}
    writer.forget()  # another writer, knowing nothing of what was written: the same rows
    await writer.write(connection, [change(with_updates(None, None, "three!"), 7)], Rejections())
    assert await update_rows(connection, schema) == {"u2": ("three!", 7)}


async def test_an_erased_person_and_a_deleted_labour_take_their_updates_with_them(connection, schema):
    writer = MirrorWriter(schema)
    await writer.write(connection, [change(with_updates("one"), 5)], Rejections())
    completed = with_updates("one")
    gone = replace(completed, latest_labour=None, deleted_labours=("l1",))
    await writer.write(connection, [change(gone, 6)], Rejections())
    assert await update_rows(connection, schema) == {}

    await writer.write(connection, [change(with_updates("two"), 7)], Rejections())
    erased = Change("birthing_persons", "p1", 0, None, T0, "birthing_persons-changelog", 0, 9, b"")
    await writer.write(connection, [erased], Rejections())
    assert await update_rows(connection, schema) == {}


async def test_a_persons_followers_land_with_their_roles_and_requests_and_a_newer_change_replaces_them(
    connection, schema
):
    asking = replace(person(), follow_requests=("zed", "amy"))
    following = replace(
        person(), subscribers=frozenset({"sam", "pat"}), friends_and_family=frozenset({"sam"}), follow_requests=("amy",)
    )
    writer = MirrorWriter(schema)

    async def followers() -> list[tuple[str, str, str | None]]:
        rows = await connection.fetch(f"SELECT subscriber_id, status, role FROM {schema}.followers ORDER BY 1")
        return [(row["subscriber_id"], row["status"], row["role"]) for row in rows]

    await writer.write(connection, [change(asking, 1)], Rejections())
    assert await followers() == [("amy", "pending", None), ("zed", "pending", None)]
    await writer.write(connection, [change(following, 3), change(asking, 2)], Rejections())
    assert await followers() == [
        ("amy", "pending", None),
        ("pat", "approved", "birth_partner"),
        ("sam", "approved", "friends_and_family"),
    ]
    erased = Change("birthing_persons", "p1", 0, None, T0, "birthing_persons-changelog", 0, 9, b"")
    await writer.write(connection, [erased], Rejections())
    assert await followers() == []


def a_notification(event_type: str, update_id: str | None, event_id: str) -> notification.Notification:
    pending = notification.pending(
        id=notification.notification_id(event_id, "sam", ContactMethod.SMS),
        event_id=event_id,
        event_type=event_type,
        birthing_person_id="p1",
        labour_id="l1",
        subscriber_id="sam",
        channel=ContactMethod.SMS,
        destination="+447700900123",
        now=T0,
        update_id=update_id,
    )
    return notification.failed(pending, reason="refused: 21211", now=T0)


async def test_a_notification_is_mirrored_with_the_update_it_told_of_and_its_state_reads_it(connection, schema):
    told = a_notification("labour.update_posted", "u-7", "e-1")
    begun = a_notification("labour.begun", None, "e-2")
    writer = MirrorWriter(schema)
    await writer.write(
        connection, [change(told, 1, "notifications"), change(begun, 1, "notifications", offset=1)], Rejections()
    )
    # counted resent since: its record changes, and the row with it
    await writer.write(connection, [change(replace(told, resends=1), 2, "notifications", offset=2)], Rejections())

    states = await MirrorReads(schema).notification_states(connection, [told.id, begun.id])

    assert (states[told.id].event_type, states[told.id].labour_id, states[told.id].update_id) == (
        "labour.update_posted", "l1", "u-7"
    )  # fmt: skip
    assert (states[begun.id].event_type, states[begun.id].update_id) == ("labour.begun", None)
    assert states[told.id].status == "failed"


async def test_notifications_mirrored_before_they_named_their_update_read_none(connection):
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    try:
        async with connection.transaction():
            await migrated_before(connection, name, NOTIFICATION_UPDATE_ID)
            await connection.execute(
                """INSERT INTO notifications (id, event_id, event_type, birthing_person_id, labour_id, subscriber_id,
                       channel, destination, status, reason, attempts, created_at, updated_at, version, changed_at)
                   VALUES ('n-1', 'e-1', 'labour.update_posted', 'p1', 'l1', 'sam', 'sms', '', 'failed',
                       'refused: 21211', 1, $1, $1, 1, $1)""",
                T0,
            )
        assert await migrate(connection, name) == [
            m.version for m in migrations() if m.version >= NOTIFICATION_UPDATE_ID
        ]

        states = await MirrorReads(name).notification_states(connection, ["n-1"])

        assert (states["n-1"].labour_id, states["n-1"].update_id) == ("l1", None)
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
