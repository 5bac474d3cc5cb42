"""The project's own Faust CLI commands; `__main__` imports this module before `app.main()` to register them."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import click
from faust.cli import AppCommand, argument, option

from labour_tracker.app import app
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key


@app.command(
    option("--sub", required=True, help="Subject: the user's id."),
    option("--given-name", default="", help="First name."),
    option("--family-name", default="", help="Last name."),
    option("--email", default=None, help="Email address."),
    option("--phone", default=None, help="Phone number (E.164)."),
    option("--lifetime-hours", type=float, default=12.0, help="Hours until the token expires."),
)
async def token(
    self: AppCommand,
    sub: str,
    given_name: str,
    family_name: str,
    email: str | None,
    phone: str | None,
    lifetime_hours: float,
) -> None:
    """Print a bearer token signed by the local signing key (local use only: no OIDC issuer configured)."""
    settings = app.settings
    if settings.oidc_issuer:
        print(
            f"labour-tracker token: OIDC issuer {settings.oidc_issuer} is configured and would refuse local tokens",
            file=sys.stderr,
        )
        raise SystemExit(2)
    # Key generation takes a noticeable moment; off the loop so Faust's blocking detector stays quiet.
    key = await asyncio.to_thread(load_or_create_local_key, settings.local_signing_key)
    print(
        issue_local_token(
            key,
            audience=settings.oidc_audience,
            sub=sub,
            given_name=given_name,
            family_name=family_name,
            email=email,
            phone_number=phone,
            lifetime=timedelta(hours=lifetime_hours),
        )
    )


@app.command(
    argument("action", type=click.Choice(["follow", "rebuild"])),
    option(
        "--schema", default=None, help="rebuild: schema to build into (default: the live schema's name + _rebuilt)."
    ),
)
async def mirror(self: AppCommand, action: str, schema: str | None) -> None:
    """`follow`: mirror the tables into PostgreSQL, as a process of its own (workers with
    LABOUR_TRACKER_MIRROR_IN_WORKER=false leave it to such processes). `rebuild`: rebuild the mirror from the
    changelogs into a fresh schema (the live one is left alone)."""
    if action == "follow":
        if schema is not None:  # it follows the live schema, LABOUR_TRACKER_MIRROR_SCHEMA
            print("labour-tracker mirror follow: --schema is for rebuild only", file=sys.stderr)
            raise SystemExit(2)
        from labour_tracker.mirror.process import follow

        await follow()
        return
    from labour_tracker.mirror.rebuild import rebuild

    target = schema or f"{app.settings.mirror_schema}_rebuilt"
    try:
        report = await rebuild(app.settings, target)
    except ValueError as error:
        print(f"labour-tracker mirror: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"rebuilt schema {report.schema}: {report.changes} changes mirrored, {report.labours} labours from the events, "
        f"{report.unreadable} unreadable and {report.rejected} rejected records set aside"
    )


@app.command(option("--json", "as_json", is_flag=True, help="Print the report as JSON."))
async def check(self: AppCommand, as_json: bool) -> None:
    """Rebuild every aggregate from its events and compare it with its table and the mirror; exit 1 on a finding."""
    from labour_tracker import consistency
    from labour_tracker.mirror.service import changelogs

    settings = app.settings
    report = await consistency.check(
        settings.kafka_bootstrap,
        settings.topic_prefix,
        {table: topic for topic, table in changelogs().items()},
        str(settings.database_url),
        settings.mirror_schema,
    )
    print(consistency.as_json(report) if as_json else consistency.summary(report))
    if not report.consistent:
        raise SystemExit(1)
