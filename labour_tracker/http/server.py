"""The REST API as an aiohttp application mounted at /api/v1 on the Faust worker's web server, plus /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from labour_tracker.domain.user import User
from labour_tracker.http import openapi
from labour_tracker.http.attempts import FailedAttempts
from labour_tracker.http.authentication import authentication, operators_only
from labour_tracker.http.docs import DOCS_PREFIX, add_docs
from labour_tracker.http.errors import error_responses
from labour_tracker.http.keys import DATABASE, HTTP_CLIENT, LIVE, SETTINGS, SUBSCRIBE_FAILURES
from labour_tracker.http.metrics import timed_requests
from labour_tracker.http.ports import (
    AGGREGATES,
    COMMAND_BUS,
    SENDER,
    AggregateReader,
    CommandBus,
    NotificationSender,
    NotSent,
)
from labour_tracker.http.routes import PUBLIC_PATHS, add_routes
from labour_tracker.http.web_app import APP_PREFIX, add_web_app
from labour_tracker.identity.configured import verifier_from_settings
from labour_tracker.identity.tokens import TokenVerifier
from labour_tracker.live.hub import LiveHub
from labour_tracker.live.parts import Live
from labour_tracker.mirror.database import Database
from labour_tracker.probes import kafka_probe
from labour_tracker.settings import Settings

API_PREFIX = "/api/v1"
OPENAPI = web.AppKey("openapi", dict)


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[DATABASE] = Database(str(app[SETTINGS].database_url))
    yield
    await app[DATABASE].close()


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    app[HTTP_CLIENT] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=app[SETTINGS].reply_timeout))
    yield
    await app[HTTP_CLIENT].close()


class VerifierMadeAtStart:
    """The token verifier, made when the API starts: Faust builds the web app for every CLI command too."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._verifier: TokenVerifier | None = None

    async def start(self, _: web.Application) -> None:
        self._verifier = verifier_from_settings(self._settings)

    async def verify(self, token: str) -> User:
        assert self._verifier is not None, "the API has not started"
        return await self._verifier.verify(token)

    async def close(self, _: web.Application | None = None) -> None:
        if self._verifier is not None:
            await self._verifier.close()


async def _end_streams(app: web.Application) -> None:
    app[LIVE].hub.end_all("shutdown")  # else the server waits for each open stream before it stops


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


class NoSender:
    """Where reports and resends go when the API runs without a worker's topics: nowhere, and said so."""

    async def report(self, notification_id: str, value: bytes) -> None:
        raise NotSent

    async def resend(self, notification_id: str, value: bytes) -> None:
        raise NotSent


def create_api(
    settings: Settings,
    commands: CommandBus,
    aggregates: AggregateReader,
    verifier: VerifierMadeAtStart | None = None,
    sender: NotificationSender | None = None,
    live: LiveHub | None = None,
) -> web.Application:
    verifier = verifier or VerifierMadeAtStart(settings)
    api = web.Application(
        middlewares=[
            timed_requests,
            error_responses,
            authentication(verifier, frozenset(API_PREFIX + p for p in PUBLIC_PATHS)),
        ]
    )
    api[SETTINGS] = settings
    api[COMMAND_BUS] = commands
    api[AGGREGATES] = aggregates
    api[SENDER] = sender or NoSender()
    api[OPENAPI] = openapi.document(API_PREFIX, settings.oidc_issuer)
    api[SUBSCRIBE_FAILURES] = FailedAttempts(settings.subscribe_failure_limit, settings.subscribe_failure_window)
    api[LIVE] = Live.of(settings, live)
    api.cleanup_ctx.extend([_database, _http_client, kafka_probe(settings.kafka)])
    api.on_startup.append(verifier.start)
    api.on_cleanup.append(verifier.close)
    api.on_shutdown.append(_end_streams)
    add_routes(api)
    api.router.add_get("/openapi.json", openapi_json)
    return api


def mount(
    root: web.Application,
    settings: Settings,
    commands: CommandBus,
    aggregates: AggregateReader,
    sender: NotificationSender | None = None,
    live: LiveHub | None = None,
) -> None:
    """Serve the API at /api/v1, its docs at /docs and the web app at /app/ on `root`, the worker's web server,
    whose other pages (Faust's introspection) answer operators only."""
    verifier = VerifierMadeAtStart(settings)
    root.middlewares.append(operators_only(verifier, (API_PREFIX, DOCS_PREFIX, APP_PREFIX)))
    root.add_subapp(API_PREFIX, create_api(settings, commands, aggregates, verifier, sender, live))
    add_docs(root, settings.docs_client_id if settings.oidc_issuer else None)
    add_web_app(root, settings)
