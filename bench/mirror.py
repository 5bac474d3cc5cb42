"""The PostgreSQL mirror: aggregate updates per second from a changelog into PostgreSQL, and lag at a steady rate,
beside plain asyncpg batched upserts of the same rows (no Kafka, no decoding, no version guards).

`python -m bench.mirror` starts its own Kafka and PostgreSQL. The changelog records are what a worker writes:
birthing persons whose labour grows by a contraction per version.
Targets: the mirror within 2x of the baseline; lag p99 under 1 s at 500 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.harness import Latencies, report, servers
from labour_tracker.domain.labour import BirthingPerson, Contraction, Labour, Phase
from labour_tracker.mirror import rows
from labour_tracker.mirror.database import Database
from labour_tracker.mirror.follower import ChangelogMirror
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter
from labour_tracker.settings import KafkaConnection
from labour_tracker.tables.records import AggregateRecord, RecordCodec

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CODEC = RecordCodec(BirthingPerson)


def person_at(n: int, version: int) -> BirthingPerson:
    """Person n after `version` changes: registered, labour begun, then a contraction per change."""
    contractions = tuple(
        Contraction(f"c{n}-{i}", T0 + timedelta(minutes=4 * i), T0 + timedelta(minutes=4 * i, seconds=65), 6, None)
        for i in range(max(0, version - 2))
    )
    labour = Labour(f"l{n}", True, T0, None, Phase.EARLY, None, contractions, frozenset()) if version > 1 else None
    return BirthingPerson(f"person-{n}", "Bench", str(n), labour, (), frozenset(), 0)


def updates(persons: int, versions: int) -> list[tuple[str, int, BirthingPerson]]:
    """Every person's versions, interleaved as many people's commands would be."""
    return [(f"person-{n}", v, person_at(n, v)) for v in range(1, versions + 1) for n in range(persons)]


async def create_topic(bootstrap: str, partitions: int) -> str:
    topic = f"bench-{uuid.uuid4().hex[:8]}-birthing_persons-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()
    return topic


async def fresh_schema(dsn: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection, schema)
    finally:
        await connection.close()
    return schema


async def baseline(dsn: str, batch: list[tuple[str, int, BirthingPerson]], batch_size: int) -> float:
    """Updates per second of the same rows upserted straight from memory, one transaction per batch."""
    s = await fresh_schema(dsn)
    changes = [Change("birthing_persons", key, v, state, T0, "", 0, 0, b"") for key, v, state in batch]
    persons = f"""INSERT INTO {s}.birthing_persons (id, first_name, last_name, subscription_token_version, version,
                    changed_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[],
                    $6::timestamptz[]) ON CONFLICT (id) DO UPDATE SET version = excluded.version"""
    labours = f"""INSERT INTO {s}.labours (id, birthing_person_id, first_labour, start_time, end_time, phase, notes,
                    alerts, version) SELECT id, p, f, st, et, ph, n, string_to_array(a, ','), v FROM unnest(
                    $1::text[], $2::text[], $3::bool[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[],
                    $8::text[], $9::bigint[]) AS t (id, p, f, st, et, ph, n, a, v)
                  ON CONFLICT (id) DO UPDATE SET version = excluded.version"""
    contractions = f"""INSERT INTO {s}.contractions (id, labour_id, start_time, end_time, intensity, notes, version)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                    $5::smallint[], $6::text[], $7::bigint[])
                    ON CONFLICT (id) DO UPDATE SET version = excluded.version"""
    connection = await asyncpg.connect(dsn)
    try:
        written: dict[str, BirthingPerson] = {}  # as the mirror, only the contractions that changed are written
        began = time.perf_counter()
        for start in range(0, len(changes), batch_size):
            chunk = rows.latest(changes[start : start + batch_size])
            async with connection.transaction():
                await connection.execute(persons, *rows.person_rows(rows.newest(chunk)))
                if (labour_columns := rows.labour_rows(chunk))[0]:
                    await connection.execute(labours, *labour_columns)
                if (contraction_columns := rows.contraction_rows(chunk, written.get))[0]:
                    await connection.execute(contractions, *contraction_columns)
            written.update((change.key, change.state) for change in chunk)
        return len(changes) / (time.perf_counter() - began)
    finally:
        await connection.close()


def mirror_of(bootstrap: str, topic: str, database: Database, schema: str, batch_size: int) -> ChangelogMirror:
    async def refuse(*_: Any) -> None:
        raise AssertionError("nothing in the benchmark is unreadable or refused")

    return ChangelogMirror(
        kafka=KafkaConnection(bootstrap), tables={topic: "birthing_persons"}, database=database,
        writer=MirrorWriter(schema), unreadable=refuse, rejected=refuse, batch_size=batch_size,
    )  # fmt: skip


async def produce(bootstrap: str, topic: str, batch: list[tuple[str, int, BirthingPerson]], rate: float | None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5 if rate is None else 0)
    await producer.start()
    try:
        start = time.monotonic()
        for n, (key, version, state) in enumerate(batch):
            if rate is not None:
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            await producer.send(topic, CODEC.dumps(AggregateRecord(state, version)), key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()


def written(mirror: ChangelogMirror, count: int) -> asyncio.Event:
    """Set once the mirror has written `count` changes."""
    reached, observe = asyncio.Event(), mirror.mirrored

    def on_batch(changes: list[Change], at: datetime) -> None:
        if observe is not None:
            observe(changes, at)
        if mirror.written >= count:
            reached.set()

    mirror.mirrored = on_batch
    return reached


async def throughput(bootstrap: str, dsn: str, batch: list[Any], batch_size: int) -> float:
    """Updates per second from a changelog already holding them all."""
    topic = await create_topic(bootstrap, 4)
    await produce(bootstrap, topic, batch, None)
    database, schema = Database(dsn), await fresh_schema(dsn)
    mirror, stopping = mirror_of(bootstrap, topic, database, schema, batch_size), asyncio.Event()
    first_batch = written(mirror, 1)
    following = asyncio.create_task(mirror.follow(f"bench-{topic}", stopping))
    await asyncio.wait_for(first_batch.wait(), 60)  # joined the group and wrote a batch: time the rest
    began, first = time.perf_counter(), mirror.written
    await asyncio.wait_for(written(mirror, len(batch)).wait(), 300)
    rate = (len(batch) - first) / (time.perf_counter() - began)
    stopping.set()
    await following
    await database.close()
    return rate


async def lag(bootstrap: str, dsn: str, batch: list[Any], rate: float, batch_size: int) -> Latencies:
    """Time from a record reaching the changelog to its batch's commit, at a steady `rate` of updates."""
    topic = await create_topic(bootstrap, 4)
    database, schema = Database(dsn), await fresh_schema(dsn)
    mirror, stopping = mirror_of(bootstrap, topic, database, schema, batch_size), asyncio.Event()
    lags = Latencies()

    def observe(changes: list[Change], at: datetime) -> None:
        lags.samples.extend((at - change.changed_at).total_seconds() for change in changes)

    mirror.mirrored = observe
    following = asyncio.create_task(mirror.follow(f"bench-{topic}", stopping))
    await asyncio.sleep(5)  # the consumer joins its group before the clock starts
    everything = written(mirror, len(batch))
    await produce(bootstrap, topic, batch, rate)
    await asyncio.wait_for(everything.wait(), 300)
    stopping.set()
    await following
    await database.close()
    return lags


async def measure(
    bootstrap: str, dsn: str, persons: int, versions: int, rate: float, seconds: float, size: int
) -> dict[str, Any]:
    batch = updates(persons, versions)
    base = await baseline(dsn, batch, size)
    mirrored = await throughput(bootstrap, dsn, batch, size)
    lags = await lag(bootstrap, dsn, updates(max(1, int(rate * seconds) // versions), versions), rate, size)
    return {
        "updates": len(batch),
        "baseline_asyncpg_updates_per_s": round(base),
        "mirror_updates_per_s": round(mirrored),
        "mirror_vs_baseline_time_ratio": round(base / mirrored, 2),
        "lag_at_rate": {"rate_per_s": rate, **lags.summary()},
        "targets": {"time_ratio_max": 2.0, "lag_p99_ms_max": 1000},
    }


def main(persons: int, versions: int, rate: float, seconds: float, batch_size: int) -> None:
    with servers() as (kafka, postgres):
        assert postgres is not None
        figures = asyncio.run(measure(kafka.bootstrap, postgres.dsn, persons, versions, rate, seconds, batch_size))
    report("mirror", figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--versions", type=int, default=30, help="changes per person (contractions grow with them)")
    parser.add_argument("--rate", type=float, default=500.0, help="updates per second for the lag figure")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=1000)
    arguments = parser.parse_args()
    main(arguments.persons, arguments.versions, arguments.rate, arguments.seconds, arguments.batch_size)
