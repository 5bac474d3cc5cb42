"""The PostgreSQL mirror through a running worker: histories served from it, and a rebuild from Kafka that equals
the live mirror. (A PostgreSQL outage under load is in tests/faults.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from tests.support.api import Caller, MakeCaller, Response, caller_factory, iso
from tests.support.notifications import approved
from tests.support.stack import Deployment, new_stack
from tests.support.waiting import eventually


async def labour_with_contractions(alice: Caller, began: datetime, contractions: int) -> dict[str, Any]:
    """A labour from begin to complete, back-dated to `began`; the completed labour as the API answered it."""
    assert (await alice.post("/labour/begin", {"first_labour": False, "start_time": iso(began)})).status == 200
    for n in range(contractions):
        start = began + timedelta(minutes=10 * (n + 1))
        body = {"start_time": iso(start), "intensity": 4 + n, "notes": f"contraction {n}"}
        assert (await alice.post("/labour/contraction/start", body)).status == 200
        ended = await alice.put(
            "/labour/contraction/end", {"end_time": iso(start + timedelta(seconds=50)), "intensity": 5}
        )
        assert ended.status == 200, ended.body
    for kind in ("status_update", "private_note"):
        assert (await alice.post("/labour/updates", {"kind": kind, "message": f"a {kind}"})).status == 200
    completed = await alice.put("/labour/complete", {"notes": "a girl"})
    assert completed.status == 200, completed.body
    labour: dict[str, Any] = completed.body["labour"]
    return labour


def same_contractions(mirrored: dict[str, Any], answered: dict[str, Any]) -> bool:
    fields = ("id", "start_time", "end_time", "intensity", "notes", "duration_seconds")
    return [{f: c[f] for f in fields} for c in mirrored["contractions"]] == [
        {f: c[f] for f in fields} for c in answered["contractions"]
    ]


async def test_past_labours_come_from_the_mirror_latest_first_a_page_at_a_time(person: MakeCaller) -> None:
    alice = person("Alice", "Smith")
    assert (await alice.post("/birthing-person/register")).status == 201
    now = datetime.now(UTC).replace(microsecond=0)
    answered = [
        await labour_with_contractions(alice, now - timedelta(days=700), 1),
        await labour_with_contractions(alice, now - timedelta(days=300), 2),
        await labour_with_contractions(alice, now - timedelta(hours=3), 3),
    ]

    async def all_mirrored() -> Response | None:
        page = await alice.get("/birthing-person/labours?limit=3")
        ready = page.status == 200 and len(page.body["labours"]) == 3
        return page if ready and all(each["end_time"] for each in page.body["labours"]) else None

    await eventually(all_mirrored)  # the mirror follows the changelog: the latest labour may come last
    first = await alice.get("/birthing-person/labours?limit=2")
    assert first.status == 200
    assert [each["id"] for each in first.body["labours"]] == [answered[2]["id"], answered[1]["id"]]
    assert first.body["next"] is not None
    second = await alice.get(f"/birthing-person/labours?limit=2&after={first.body['next']}")
    assert second.status == 200
    assert [each["id"] for each in second.body["labours"]] == [answered[0]["id"]]
    assert second.body["next"] is None

    for mirrored, given in zip([*first.body["labours"], *second.body["labours"]], reversed(answered), strict=True):
        assert same_contractions(mirrored, given)
        assert (mirrored["phase"], mirrored["notes"], mirrored["end_time"]) == ("complete", "a girl", given["end_time"])
        assert mirrored["alerts"] == given["alerts"]


async def test_paging_through_the_mirror_refuses_what_it_cannot_read(person: MakeCaller) -> None:
    alice = person("Alice", "Smith")
    assert (await alice.post("/birthing-person/register")).status == 201
    for query in ("limit=0", "limit=101", "limit=ten", "after=%%%", "after=bm90IGpzb24", "after=WyJhIl0"):
        answer = await alice.get(f"/birthing-person/labours?{query}")
        assert (answer.status, answer.body["code"]) == (400, "invalid_query"), query
    stranger = person("Nobody", "Here")
    assert (await stranger.get("/birthing-person/labours")).status == 404


# Columns that say when a row was written rather than what it holds. A contraction row is written only when it
# changes, at the person's version of that write, and a rebuild writes each person's latest version alone.
BOOKKEEPING = {"mirrored_at", "contractions.version", "labour_updates.version"}


async def table_rows(connection: asyncpg.Connection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every mirrored row but its bookkeeping, by table."""
    tables = (
        "birthing_persons", "labours", "contractions", "labour_updates", "subscribers", "subscriptions", "followers",
        "notifications",
    )  # fmt: skip
    found = {}
    for table in tables:
        rows = await connection.fetch(f"SELECT * FROM {schema}.{table} ORDER BY 1, 2")
        found[table] = [
            tuple(v for k, v in row.items() if k not in BOOKKEEPING and f"{table}.{k}" not in BOOKKEEPING)
            for row in rows
        ]
    return found


async def test_a_mirror_rebuilt_from_kafka_equals_the_live_one(
    own_deployment: Deployment, postgres: PostgresCluster
) -> None:
    """On a deployment of its own, whose mirror it rebuilds."""
    live = own_deployment.stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        make = own_deployment.callers(http)
        bea = make("Bea", "Moyo")
        assert (await bea.post("/birthing-person/register")).status == 201
        token = (await bea.get("/birthing-person/subscription-token")).body["token"]
        sam = make("Sam", "Lee", email="sam@example.org", phone_number="+447700900123")
        assert (await sam.post("/subscriber/register", {"contact_methods": ["sms", "email"]})).status == 201
        by_email = {"token": token, "contact_methods": ["email"]}  # the subscription's own channels are rebuilt too
        assert (await sam.post(f"/subscriber/subscribe_to/{bea.id}", by_email)).status == 200
        await approved(bea, [sam.id], role="friends_and_family")
        await labour_with_contractions(bea, datetime.now(UTC) - timedelta(hours=2), 2)

    connection = await asyncpg.connect(postgres.dsn)
    try:

        async def settled() -> bool:
            return (
                bool(
                    await connection.fetchval(
                        f"SELECT count(*) FROM {live}.subscriptions WHERE subscriber_id = $1", sam.id
                    )
                )
                and await connection.fetchval(
                    f"SELECT count(*) FROM {live}.followers WHERE subscriber_id = $1 AND status = 'approved'", sam.id
                )
                and await connection.fetchval(
                    f"SELECT end_time IS NOT NULL FROM {live}.labours WHERE birthing_person_id = $1", bea.id
                )
            )

        await eventually(settled)
        updates = await connection.fetchval(
            f"SELECT count(*) FROM {live}.labour_updates u JOIN {live}.labours l ON l.id = u.labour_id"
            " WHERE l.birthing_person_id = $1",
            bea.id,
        )
        assert updates == 2

        async def still() -> bool:  # notifications of the labour may still be changing
            before = await table_rows(connection, live)
            await asyncio.sleep(1)
            return before == await table_rows(connection, live)

        await eventually(still)
        rebuilt = f"{live}_rebuilt"
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "labour_tracker", "mirror", "rebuild", "--schema", rebuilt],
            env={**os.environ, **own_deployment.stack.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"rebuilt schema {rebuilt}" in done.stdout
        assert await table_rows(connection, rebuilt) == await table_rows(connection, live)
    finally:
        await connection.close()


async def test_a_mirror_process_of_its_own_mirrors_what_workers_leave_to_it(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> None:
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_MIRROR_IN_WORKER="false")
    schema = stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
    worker = stack.worker("leaves-the-mirror")
    mirror = stack.worker("mirror-alone", command=("mirror", "follow"))
    connection = await asyncpg.connect(postgres.dsn)
    worker.start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            cleo = caller_factory(stack, http, worker.url)("Cleo", "Diaz")
            assert (await cleo.post("/birthing-person/register")).status == 201
            assert (await cleo.post("/labour/begin", {"first_labour": True})).status == 200
            await asyncio.sleep(2)
            assert not await connection.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema)

            await asyncio.to_thread(mirror.start)

            async def mirrored() -> bool:
                query = f"SELECT count(*) FROM {schema}.labours WHERE birthing_person_id = $1"
                return bool(await connection.fetchval(query, cleo.id))

            await eventually(mirrored)
            async with http.get(f"{mirror.url}/api/v1/ready") as answer:
                readiness = await answer.json()
            assert readiness["checks"] == {"kafka": "up", "postgres": "up", "mirror": "following"}
            async with http.get(f"{mirror.url}/api/v1/metrics") as answer:
                text = await answer.text()
            assert answer.status == 200
            lag_count = next(
                line for line in text.splitlines() if line.startswith("labour_tracker_mirror_lag_seconds_count")
            )
            assert float(lag_count.split()[-1]) >= 2  # the person, then the labour
    finally:
        mirror.stop()
        worker.stop()
        await connection.close()
