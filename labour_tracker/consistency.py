"""`labour-tracker check`: every aggregate rebuilt from its event log, compared with its table and its mirror.

The event topics are the record of what happened. Folding each aggregate's events through the domain's `evolve`
gives the state the table must hold (read from its changelog, as a restarted worker would) and the rows the
PostgreSQL mirror must have. Run it when the service is quiet: a change still on its way shows as a finding.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from labour_tracker.domain import labour, subscriber
from labour_tracker.kafka_history import batches_up_to, rewind
from labour_tracker.messages.codec import from_data
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.sealing import Unopenable, opened
from labour_tracker.mirror.schema import check_schema_name
from labour_tracker.settings import KafkaConnection
from labour_tracker.tables.records import AggregateRecord, RecordCodec

MirroredRows = dict[str, dict[str, Any]]  # aggregate id -> what the mirror holds of it


@dataclass(frozen=True)
class Kind:
    """One aggregate kind: where its events and its table's changelog live, how its events fold, and how its
    state looks in the mirror."""

    name: str
    table: str
    state_type: type[Any]
    event_types: dict[str, type[Any]]
    evolve: Callable[[Any, Any], Any]
    erased: str  # the event type that ends an aggregate: what came before it is not expected anywhere
    mirror_rows: Callable[[Rebuilt], dict[str, Any]]  # what the mirror must hold of one rebuilt aggregate
    read_mirror: Callable[[asyncpg.Connection, str], Awaitable[MirroredRows]]
    # The parts of a state the mirror keeps after the state lets go of them, by id (a person's past labours).
    parts: Callable[[Any], Iterable[tuple[str, Any]]] = lambda state: ()
    gone: Callable[[Any], Iterable[str]] = lambda state: ()  # parts the state says were deleted: not mirrored


@dataclass(frozen=True)
class Finding:
    kind: str
    aggregate_id: str
    where: str  # "events", "table" or "mirror"
    what: str

    def __str__(self) -> str:
        return f"{self.kind} {self.aggregate_id}: {self.where}: {self.what}"


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)  # aggregates rebuilt, by kind
    findings: list[Finding] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.findings


@dataclass
class Rebuilt:
    """An aggregate folded from its events, with its version; `gap` names the first version missing, if any."""

    state: Any = None
    version: int = 0
    gap: int | None = None
    parts: dict[str, tuple[Any, int]] = field(default_factory=dict)  # every part it held, as last held, and when


async def read_topic(kafka: KafkaConnection, topic: str) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from its start to its end as it is now, partition by partition."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), client_id="labour-tracker-check")
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] != 0:
        return
    partitions = [TopicPartition(topic, each["partition"]) for each in described["partitions"]]
    consumer = AIOKafkaConsumer(**kafka.client_options(), client_id="labour-tracker-check", enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await rewind(consumer, partitions)
        async for batch in batches_up_to(consumer, ends):
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
    finally:
        await consumer.stop()


def fold(kind: Kind, envelopes: Iterable[EventEnvelope]) -> dict[str, Rebuilt]:
    """Each aggregate's state after its events, taken once each (a redelivered command republishes the same ids);
    none for an aggregate erased since. Events still sealed are skipped: those of an erased aggregate, whose key
    is gone, or a copy sealed under a key a crash lost before its record was stored (the command, decided again,
    published the same event again under the key that was stored)."""
    rebuilt: dict[str, Rebuilt] = defaultdict(Rebuilt)
    seen: set[str] = set()
    for envelope in envelopes:
        if envelope.id in seen or envelope.sealed is not None:
            continue
        seen.add(envelope.id)
        if envelope.type == kind.erased:
            rebuilt[envelope.aggregate_id] = Rebuilt()  # a registration after it starts again from version 1
            continue
        aggregate = rebuilt[envelope.aggregate_id]
        if aggregate.gap is not None:
            continue
        if envelope.version != aggregate.version + 1:
            aggregate.gap = aggregate.version + 1
            continue
        event = from_data(kind.event_types[envelope.type], envelope.data)
        aggregate.state, aggregate.version = kind.evolve(aggregate.state, event), envelope.version
        aggregate.parts.update((name, (part, envelope.version)) for name, part in kind.parts(aggregate.state))
        for name in kind.gone(aggregate.state) if aggregate.state is not None else ():
            aggregate.parts.pop(name, None)
    return {aggregate_id: each for aggregate_id, each in rebuilt.items() if each.version or each.gap is not None}


async def events_of(
    kafka: KafkaConnection, prefix: str, kind: Kind, report: Report, keys: dict[str, str | None]
) -> list[EventEnvelope]:
    """The kind's events, each opened with its aggregate's key in `keys` where it can be."""
    envelopes = []
    async for record in read_topic(kafka, f"{prefix}.{kind.name}.events"):
        try:
            envelope = EventEnvelope.model_validate_json(record.value or b"")
        except ValidationError:
            where = f"{record.topic}[{record.partition}]@{record.offset}"
            report.findings.append(Finding(kind.name, "?", "events", f"unreadable event at {where}"))
            continue
        if envelope.type in kind.event_types:
            with contextlib.suppress(Unopenable):  # left sealed: `fold` skips it
                envelope = opened(envelope, keys.get(envelope.aggregate_id))
            envelopes.append(envelope)
    return envelopes


def keys_of(table: dict[str, AggregateRecord[Any]]) -> dict[str, str | None]:
    """The key each aggregate's personal events are sealed with."""
    return {aggregate_id: record.data_key for aggregate_id, record in table.items()}


async def table_of(kafka: KafkaConnection, changelog: str, kind: Kind) -> dict[str, AggregateRecord[Any]]:
    """The table as its changelog holds it: the last record per key."""
    codec, records = RecordCodec(kind.state_type), {}
    async for record in read_topic(kafka, changelog):
        if record.key is not None:
            records[record.key.decode()] = codec.loads(record.value) if record.value is not None else None
    return {key: value for key, value in records.items() if value is not None and value.state is not None}


def compare_table(kind: Kind, rebuilt: dict[str, Rebuilt], table: dict[str, AggregateRecord[Any]]) -> list[Finding]:
    findings = []
    for aggregate_id in sorted(rebuilt.keys() | table.keys()):
        expected, held = rebuilt.get(aggregate_id), table.get(aggregate_id)
        if expected is None:
            findings.append(Finding(kind.name, aggregate_id, "table", "holds an aggregate no event created"))
        elif expected.gap is not None:
            findings.append(Finding(kind.name, aggregate_id, "events", f"version {expected.gap} is missing"))
        elif held is None:
            findings.append(Finding(kind.name, aggregate_id, "table", f"missing (events reach v{expected.version})"))
        elif held.version != expected.version:
            findings.append(
                Finding(kind.name, aggregate_id, "table", f"v{held.version}, events reach v{expected.version}")
            )
        elif held.state != expected.state:
            findings.append(Finding(kind.name, aggregate_id, "table", f"v{held.version} differs from its events"))
    return findings


def person_labours(state: labour.BirthingPerson) -> Iterable[tuple[str, labour.Labour]]:
    return () if state.latest_labour is None else ((state.latest_labour.id, state.latest_labour),)


def person_rows(rebuilt: Rebuilt) -> dict[str, Any]:
    labours = [labour for labour, _ in rebuilt.parts.values()]  # the mirror keeps every labour; the record the latest
    return {
        "version": rebuilt.version,
        "labours": sorted((each.id, each.phase.value, each.end_time) for each in labours),
        "contractions": sorted((c.id, c.end_time, c.intensity) for each in labours for c in each.contractions),
        "updates": sorted((u.id, u.kind.value, u.edited_at) for each in labours for u in each.updates),
        "followers": follower_rows(rebuilt.state),
    }


def follower_rows(state: labour.BirthingPerson) -> list[tuple[str, str, str | None]]:
    """Who follows the person, in which role, and who asks to: as the mirror's `followers` holds them."""
    approved = [(each, "approved", role.value) for each in state.subscribers if (role := state.role_of(each))]
    return sorted([*approved, *((each, "pending", None) for each in state.follow_requests)])


def subscriber_rows(rebuilt: Rebuilt) -> dict[str, Any]:
    state = rebuilt.state
    return {
        "version": rebuilt.version,
        "subscribed_to": sorted(state.subscribed_to),
        # each subscription's channels: those chosen for the person, or the account's
        "contact_methods": [sorted(state.contact_methods_for(person)) for person in sorted(state.subscribed_to)],
    }


def no_person_parts() -> dict[str, list[Any]]:
    """A person's mirrored rows before any is read: each table's list empty."""
    return {"labours": [], "contractions": [], "updates": [], "followers": []}


async def mirrored_persons(connection: asyncpg.Connection, schema: str) -> MirroredRows:
    rows: MirroredRows = {
        r["id"]: {"version": r["version"], **no_person_parts()}
        for r in await connection.fetch(f"SELECT id, version FROM {schema}.birthing_persons")
    }
    for r in await connection.fetch(
        f"SELECT id, birthing_person_id, phase, end_time FROM {schema}.labours ORDER BY id"
    ):
        rows.setdefault(r["birthing_person_id"], no_person_parts())["labours"].append(
            (r["id"], r["phase"], r["end_time"])
        )
    for r in await connection.fetch(
        f"SELECT c.id, l.birthing_person_id, c.end_time, c.intensity FROM {schema}.contractions c"
        f" JOIN {schema}.labours l ON l.id = c.labour_id ORDER BY c.id"
    ):
        rows.setdefault(r["birthing_person_id"], no_person_parts())["contractions"].append(
            (r["id"], r["end_time"], r["intensity"])
        )
    for r in await connection.fetch(
        f"SELECT u.id, l.birthing_person_id, u.kind, u.edited_at FROM {schema}.labour_updates u"
        f" JOIN {schema}.labours l ON l.id = u.labour_id ORDER BY u.id"
    ):
        rows.setdefault(r["birthing_person_id"], no_person_parts())["updates"].append(
            (r["id"], r["kind"], r["edited_at"])
        )
    for r in await connection.fetch(
        f"SELECT birthing_person_id, subscriber_id, status, role FROM {schema}.followers"
        ' ORDER BY subscriber_id COLLATE "C"'
    ):
        rows.setdefault(r["birthing_person_id"], no_person_parts())["followers"].append(
            (r["subscriber_id"], r["status"], r["role"])
        )
    return rows


async def mirrored_subscribers(connection: asyncpg.Connection, schema: str) -> MirroredRows:
    rows: MirroredRows = {
        r["id"]: {"version": r["version"], "subscribed_to": [], "contact_methods": []}
        for r in await connection.fetch(f"SELECT id, version FROM {schema}.subscribers")
    }
    for r in await connection.fetch(
        f"SELECT subscriber_id, birthing_person_id, contact_methods FROM {schema}.subscriptions"
        " ORDER BY birthing_person_id"
    ):
        row = rows.setdefault(r["subscriber_id"], {"subscribed_to": [], "contact_methods": []})
        row["subscribed_to"].append(r["birthing_person_id"])
        row["contact_methods"].append(sorted(r["contact_methods"]))
    return rows


BIRTHING_PERSONS = Kind("birthing_person", "birthing_persons", labour.BirthingPerson, labour.EVENT_TYPES,
                        labour.evolve, labour.BirthingPersonErased.TYPE, person_rows, mirrored_persons,
                        person_labours, lambda person: person.deleted_labours)  # fmt: skip
KINDS = (
    BIRTHING_PERSONS,
    Kind("subscriber", "subscribers", subscriber.Subscriber, subscriber.EVENT_TYPES, subscriber.evolve,
         subscriber.SubscriberErased.TYPE, subscriber_rows, mirrored_subscribers),
)  # fmt: skip


def compare_mirror(kind: Kind, rebuilt: dict[str, Rebuilt], mirrored: MirroredRows) -> list[Finding]:
    findings = []
    for aggregate_id in sorted(rebuilt.keys() | mirrored.keys()):
        expected, held = rebuilt.get(aggregate_id), mirrored.get(aggregate_id)
        if expected is None:
            findings.append(Finding(kind.name, aggregate_id, "mirror", "holds an aggregate no event created"))
            continue
        if expected.gap is not None:  # reported against the events already
            continue
        want = kind.mirror_rows(expected)
        if held is None:
            findings.append(Finding(kind.name, aggregate_id, "mirror", f"missing (events reach v{expected.version})"))
        elif held != want:
            differing = ", ".join(name for name in want if held.get(name) != want[name])
            findings.append(Finding(kind.name, aggregate_id, "mirror", f"differs from its events in {differing}"))
    return findings


async def check(
    kafka: KafkaConnection, prefix: str, changelogs: dict[str, str], database_url: str, schema: str
) -> Report:
    """Rebuild every aggregate from its events and compare it with its table (changelog topic by table name in
    `changelogs`) and with the mirror in `schema`."""
    report = Report()
    connection = await asyncpg.connect(database_url)
    try:
        schema = check_schema_name(schema)
        for kind in KINDS:
            table = await table_of(kafka, changelogs[kind.table], kind)
            rebuilt = fold(kind, await events_of(kafka, prefix, kind, report, keys_of(table)))
            report.checked[kind.name] = len(rebuilt)
            report.findings += compare_table(kind, rebuilt, table)
            report.findings += compare_mirror(kind, rebuilt, await kind.read_mirror(connection, schema))
    finally:
        await connection.close()
    return report


def summary(report: Report) -> str:
    checked = ", ".join(f"{count} {name}" for name, count in report.checked.items())
    lines = [f"checked {checked}: {'consistent' if report.consistent else f'{len(report.findings)} findings'}"]
    return "\n".join([*lines, *(f"  {finding}" for finding in report.findings)])


def as_json(report: Report) -> str:
    return json.dumps(
        {"checked": report.checked, "findings": [vars(each) for each in report.findings]}, indent=2, sort_keys=True
    )
