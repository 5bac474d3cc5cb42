"""The REST API as an aiohttp application mounted at /api/v1 on the Faust worker's web server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import faust
from aiohttp import web

from labour_tracker.http import health
from labour_tracker.http.keys import DATABASE, FAUST_APP, SETTINGS
from labour_tracker.mirror.database import Database
from labour_tracker.settings import Settings

API_PREFIX = "/api/v1"


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[DATABASE] = Database(str(app[SETTINGS].database_url))
    yield
    await app[DATABASE].close()


def create_api(settings: Settings, faust_app: faust.App) -> web.Application:
    api = web.Application()
    api[SETTINGS] = settings
    api[FAUST_APP] = faust_app
    api.cleanup_ctx.extend([_database, health.kafka_probe])
    api.router.add_get("/health", health.health)
    api.router.add_get("/ready", health.ready)
    return api


def mount(root: web.Application, settings: Settings, faust_app: faust.App) -> None:
    root.add_subapp(API_PREFIX, create_api(settings, faust_app))
