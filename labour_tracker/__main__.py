"""`labour-tracker`: the worker (Faust's command line, `worker` and the rest), and the project's own commands.

Only the worker's commands import Faust: `token`, `check` and `mirror` start at once.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from labour_tracker.settings import Settings


def load_settings() -> Settings:
    """The settings, or exit with one clear line for each bad variable; imported when a command needs them."""
    from labour_tracker.settings import load_settings

    return load_settings()


def run_faust() -> None:
    """Hand the command line to Faust's, with the worker built: `worker`, and Faust's other commands."""
    import mode.loop

    mode.loop.use("uvloop")  # before any event loop exists
    from labour_tracker.worker import build_worker

    build_worker(load_settings()).app.main()


class LabourTracker(click.Group):
    """Our commands; any other is Faust's, with the worker built."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or faust_command(name)


def faust_command(name: str) -> click.Command:
    return click.Command(
        name,
        callback=run_faust,
        help="Faust's command of that name, on the worker.",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,  # Faust answers --help itself
    )


@click.group(cls=LabourTracker)
@click.option("-l", "--loglevel", default=None, help="Log level, as Faust takes it (debug, info, warn, error).")
def cli(loglevel: str | None) -> None:
    """Labour Tracker: `worker` runs a worker (Faust's `worker --help` tells its options); the commands below need
    none."""
    if loglevel is not None:  # Faust reads its own from the command line
        logging.basicConfig(level={"warn": "WARNING"}.get(loglevel.lower(), loglevel.upper()), format=LOG_FORMAT)


LOG_FORMAT = "[%(asctime)s] [%(process)s] [%(levelname)s] %(message)s"  # as Faust's worker writes its lines


cli.add_command(faust_command("worker"))


@cli.command()
@click.option("--sub", required=True, help="Subject: the user's id.")
@click.option("--given-name", default="", help="First name.")
@click.option("--family-name", default="", help="Last name.")
@click.option("--email", default=None, help="Email address.")
@click.option("--phone", default=None, help="Phone number (E.164).")
@click.option("--operator", is_flag=True, help="An operator's token: it opens the worker's introspection pages.")
@click.option(
    "--unverified", is_flag=True, help="Email and phone not verified: a subscriber must confirm them with a code."
)
@click.option("--lifetime-hours", type=float, default=12.0, help="Hours until the token expires.")
def token(
    sub: str,
    given_name: str,
    family_name: str,
    email: str | None,
    phone: str | None,
    operator: bool,
    unverified: bool,
    lifetime_hours: float,
) -> None:
    """Print a bearer token signed by the local signing key (local use only: no OIDC issuer configured)."""
    from labour_tracker.identity.claims import OPERATOR_ROLE
    from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key

    settings = load_settings()
    if settings.oidc_issuer:
        print(
            f"labour-tracker token: OIDC issuer {settings.oidc_issuer} is configured and would refuse local tokens",
            file=sys.stderr,
        )
        raise SystemExit(2)
    key = load_or_create_local_key(settings.local_signing_key)
    print(
        issue_local_token(
            key,
            audience=settings.oidc_audience,
            sub=sub,
            given_name=given_name,
            family_name=family_name,
            email=email,
            phone_number=phone,
            roles=[OPERATOR_ROLE] if operator else [],
            verified=not unverified,
            lifetime=timedelta(hours=lifetime_hours),
        )
    )


@cli.command()
@click.argument("action", type=click.Choice(["follow", "rebuild"]))
@click.option(
    "--schema", default=None, help="rebuild: schema to build into (default: the live schema's name + _rebuilt)."
)
def mirror(action: str, schema: str | None) -> None:
    """`follow`: mirror the tables into PostgreSQL, as a process of its own (workers with
    LABOUR_TRACKER_MIRROR_IN_WORKER=false leave it to such processes). `rebuild`: rebuild the mirror from the
    changelogs into a fresh schema (the live one is left alone)."""
    settings = load_settings()
    if action == "follow":
        if schema is not None:  # it follows the live schema, LABOUR_TRACKER_MIRROR_SCHEMA
            print("labour-tracker mirror follow: --schema is for rebuild only", file=sys.stderr)
            raise SystemExit(2)
        run_async(follow_mirror(settings))
    else:
        run_async(rebuild_mirror(settings, schema or f"{settings.mirror_schema}_rebuilt"))


async def follow_mirror(settings: Settings) -> None:
    import asyncio
    import contextlib
    import signal

    from labour_tracker.mirror.process import follow

    following = asyncio.create_task(follow(settings))
    for stop in (signal.SIGTERM, signal.SIGINT):  # stopped, it closes its connections and leaves its group at once
        asyncio.get_running_loop().add_signal_handler(stop, following.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await following


async def rebuild_mirror(settings: Settings, target: str) -> None:
    from labour_tracker.mirror.rebuild import rebuild

    try:
        report = await rebuild(settings, target)
    except ValueError as error:
        print(f"labour-tracker mirror: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"rebuilt schema {report.schema}: {report.changes} changes mirrored, {report.labours} labours from the events, "
        f"{report.unreadable} unreadable and {report.rejected} rejected records set aside"
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(as_json: bool) -> None:
    """Rebuild every aggregate from its events and compare it with its table and the mirror; exit 1 on a finding."""
    from labour_tracker import consistency
    from labour_tracker.tables.names import changelogs

    settings = load_settings()
    report = run_async(
        consistency.check(
            settings.kafka,
            settings.topic_prefix,
            {table: topic for topic, table in changelogs(settings.app_id).items()},
            str(settings.database_url),
            settings.mirror_schema,
        )
    )
    print(consistency.as_json(report) if as_json else consistency.summary(report))
    if not report.consistent:
        raise SystemExit(1)


def run_async(work: Any) -> Any:
    """Run a command's coroutine on uvloop, until it ends or is interrupted (Ctrl-C, SIGTERM)."""
    import uvloop

    return uvloop.run(work)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
