"""The role compose gives the workers (infra/postgres/service-role.sql, run as the image runs it): enough for the
mirror, nothing more. Made on the test cluster by its superuser, exactly as the init script makes it."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from labour_tracker.devstack.postgres import USER, PostgresCluster, postgres_bin_dir
from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.mirror.rows import Change
from labour_tracker.mirror.schema import migrate
from labour_tracker.mirror.writer import MirrorWriter

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "postgres" / "service-role.sql"


def as_superuser(postgres: PostgresCluster, *arguments: str) -> None:
    subprocess.run(
        [str(postgres_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", USER, "-d", "postgres",
         "-q", *arguments],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


@pytest.fixture
async def service(postgres: PostgresCluster) -> AsyncIterator[asyncpg.Connection]:
    """A connection as a role made by the script, in the database it made; both dropped afterwards."""
    name = f"svc_{uuid.uuid4().hex[:8]}"
    as_superuser(postgres, "-v", f"role={name}", "-v", "password=not-used-here", "-v", f"database={name}",
                 "-f", str(SCRIPT))  # fmt: skip
    connection = await asyncpg.connect(f"postgresql://{name}@127.0.0.1:{postgres.port}/{name}")
    yield connection
    await connection.close()
    as_superuser(postgres, "-c", f"DROP DATABASE {name}", "-c", f"DROP ROLE {name}")


async def test_the_role_creates_migrates_and_writes_the_mirror_in_its_own_database(
    service: asyncpg.Connection,
) -> None:
    await migrate(service, "mirror")
    person = BirthingPerson("p1", "Ada", "Lovelace", None, (), frozenset(), 0)
    change = Change("birthing_persons", "p1", 1, person, datetime.now(UTC), "t", 0, 0, b"")

    async def refuse(*_: object) -> None:
        raise AssertionError("the write was refused")

    await MirrorWriter("mirror").write(service, [change], refuse)

    assert await service.fetchval("SELECT first_name FROM mirror.birthing_persons WHERE id = 'p1'") == "Ada"


async def test_the_role_is_no_superuser_and_may_not_make_roles_databases_or_run_programs(
    service: asyncpg.Connection,
) -> None:
    assert (
        await service.fetchval(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
        )
        is False
    )
    for statement in (
        "CREATE ROLE intruder",
        "CREATE DATABASE elsewhere",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "SELECT pg_read_file('postgresql.conf')",
        "SELECT rolpassword FROM pg_authid",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute(statement)


async def test_the_role_cannot_connect_to_a_database_closed_to_others(
    postgres: PostgresCluster, service: asyncpg.Connection
) -> None:
    closed = f"closed_{uuid.uuid4().hex[:8]}"
    as_superuser(postgres, "-c", f"CREATE DATABASE {closed}", "-c", f"REVOKE ALL ON DATABASE {closed} FROM PUBLIC")
    role = await service.fetchval("SELECT current_user")
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(f"postgresql://{role}@127.0.0.1:{postgres.port}/{closed}")
    finally:
        as_superuser(postgres, "-c", f"DROP DATABASE {closed}")
