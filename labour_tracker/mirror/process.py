"""`labour-tracker mirror follow`: the mirror as a process of its own, beside workers that leave it to it.

The workers' event loops then carry commands alone, and the mirror has a core's share of its own. On
LABOUR_TRACKER_WEB_HOST:LABOUR_TRACKER_WEB_PORT it answers /api/v1/health, /api/v1/ready (Kafka and PostgreSQL
answer and its schema is current) and /api/v1/metrics (its lag among them).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from labour_tracker.app import app, settle_heap
from labour_tracker.http import health
from labour_tracker.http.keys import SETTINGS
from labour_tracker.http.metrics import metrics
from labour_tracker.mirror.service import MirrorService

MIRROR = web.AppKey("mirror", MirrorService)


async def ready(request: web.Request) -> web.Response:
    mirror = request.app[MIRROR]
    kafka, postgres = await asyncio.gather(request.app[health.KAFKA_PROBE].answers(), mirror.database.answers())
    return health.readiness(kafka, postgres, "mirror", mirror.migrated.is_set(), doing="following")


async def follow() -> None:
    """Mirror until stopped (SIGTERM or Ctrl-C)."""
    await app.maybe_start_producer()  # a change the mirror cannot take is parked on the dead-letter topic
    mirror = MirrorService()
    web_app = web.Application()
    web_app[MIRROR] = mirror
    web_app[SETTINGS] = app.settings
    web_app.cleanup_ctx.append(health.kafka_probe)
    web_app.router.add_get("/api/v1/health", health.health)
    web_app.router.add_get("/api/v1/ready", ready)
    web_app.router.add_get("/api/v1/metrics", metrics)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, app.settings.web_host, app.settings.web_port).start()
        await mirror.start()
        settle_heap()
        await mirror.wait_until_stopped()
    finally:
        await mirror.stop()
        await runner.cleanup()
        await app.producer.stop()
