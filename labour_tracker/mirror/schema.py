"""The mirror's schema, versioned: numbered SQL files applied in order, each once, recorded in `schema_migrations`.

A runner of a few lines rather than a migration framework: the schema is plain SQL owned by this service, and
asyncpg is its only driver (the usual tools want SQLAlchemy and a synchronous driver besides). Workers start
together, so the runner holds an advisory lock: one applies what is missing, the others then find it applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_NAME = r"^[a-z_][a-z0-9_]{0,62}$"  # a plain identifier: it is written into SQL, never quoted from input


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(directory: Path = MIGRATIONS) -> list[Migration]:
    """The migrations in version order: files named `NNNN_what_it_does.sql`."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append(Migration(int(number), name, path.read_text()))
    return found


def check_schema_name(schema: str) -> str:
    if not re.fullmatch(SCHEMA_NAME, schema):
        raise ValueError(f"not a plain lower-case SQL identifier: {schema!r}")
    return schema


async def migrate(connection: asyncpg.Connection, schema: str) -> list[int]:
    """Bring `schema` up to the newest version; returns the versions applied now (none when it was current)."""
    check_schema_name(schema)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"labour-tracker-mirror:{schema}")
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await connection.execute(f"SET LOCAL search_path TO {schema}")
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        now_applied = []
        for migration in migrations():
            if migration.version in applied:
                continue
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
            )
            now_applied.append(migration.version)
        return now_applied
