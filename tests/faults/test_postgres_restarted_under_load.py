"""Stop PostgreSQL during steady load and start it again: commands and notifications go on while it is away,
readiness and the reads from the mirror say it is down, and once it is back the worker is ready and the mirror
catches up with nothing acknowledged lost or doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import pytest

from labour_tracker.devstack.postgres import PostgresCluster
from tests.support.load import UnderLoad
from tests.support.notifications import NotifyingDeployment, eventually
from tests.support.servers import own_server

AWAY = 5.0  # seconds PostgreSQL is stopped


@pytest.fixture(scope="module")
def database() -> Iterator[PostgresCluster]:
    """A PostgreSQL of this module's own, to stop."""
    with own_server(PostgresCluster, "postgres") as cluster:
        yield cluster


async def mirrored_contractions(connection: asyncpg.Connection, schema: str, people: list[str]) -> int:
    return int(
        await connection.fetchval(
            f"SELECT count(*) FROM {schema}.contractions c JOIN {schema}.labours l ON l.id = c.labour_id"
            " WHERE l.birthing_person_id = ANY($1::text[])",
            people,
        )
    )


async def test_a_postgres_restart_under_load_loses_nothing_and_the_mirror_catches_up(
    notifying: NotifyingDeployment, database: PostgresCluster
) -> None:
    schema = notifying.stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
    async with UnderLoad(notifying) as fault:
        people = [each.id for each in fault.load.people]
        await asyncio.to_thread(database.stop)
        stopped = time.monotonic()

        async def postgres_reported_down() -> bool:
            async with fault.http.get(f"{notifying.worker.url}/api/v1/ready") as answer:
                return answer.status == 503 and (await answer.json())["checks"]["postgres"] == "down"

        async with asyncio.timeout(15):
            while not await postgres_reported_down():  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        history = await fault.followed[0].person.get("/birthing-person/labours")
        assert (history.status, history.body["code"]) == (503, "database_unavailable")
        await fault.begin_labours()
        await fault.load.everyone_acknowledged_again()  # commands go on
        await eventually(lambda: fault.sms_told("labour.begun") and fault.email_told("labour.begun"),
                         what="notifications while PostgreSQL is away")  # fmt: skip
        await asyncio.sleep(max(0.0, AWAY - (time.monotonic() - stopped)))
        await asyncio.to_thread(database.start)
        back = time.monotonic()
        acknowledged_meanwhile = sum(fault.load.acknowledged.values())
        await fault.ready_again()
        ready = time.monotonic() - back
        connection = await asyncpg.connect(database.dsn)
        try:
            async with asyncio.timeout(60):
                while await mirrored_contractions(connection, schema, people) < acknowledged_meanwhile:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
            caught_up = time.monotonic() - back
            await fault.complete_labours()
            await fault.afterwards()
            mirrored = await mirrored_contractions(connection, schema, people)
        finally:
            await connection.close()
        print(
            f"recovery: ready {ready:.1f} s after PostgreSQL was back ({back - stopped:.1f} s away); the mirror had"
            f" the {acknowledged_meanwhile} contractions acknowledged until then {caught_up:.1f} s after"
        )
    assert mirrored == sum(fault.load.acknowledged.values()), "each acknowledged contraction mirrored once"
