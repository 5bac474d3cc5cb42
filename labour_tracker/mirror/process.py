"""`labour-tracker mirror follow`: the mirror as a process of its own, beside workers that leave it to it.

The workers' event loops then carry commands alone, and the mirror has a core's share of its own. On
LABOUR_TRACKER_WEB_HOST:LABOUR_TRACKER_WEB_PORT it answers /api/v1/health, /api/v1/ready (Kafka and PostgreSQL
answer and its schema is current) and /api/v1/metrics (its lag among them).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from labour_tracker import probes
from labour_tracker.app import LabourTrackerApp, settle_heap
from labour_tracker.mirror.service import MirrorService
from labour_tracker.settings import Settings
from labour_tracker.topics import Topics

MIRROR = web.AppKey("mirror", MirrorService)


async def ready(request: web.Request) -> web.Response:
    mirror = request.app[MIRROR]
    kafka, postgres = await asyncio.gather(request.app[probes.KAFKA_PROBE].answers(), mirror.database.answers())
    return probes.readiness(kafka, postgres, mirror=(mirror.migrated.is_set(), "following"))


async def follow(settings: Settings) -> None:
    """Mirror until stopped (SIGTERM or Ctrl-C)."""
    app = LabourTrackerApp(settings)  # its producer parks a change the mirror cannot take on the dead-letter topic
    await app.maybe_start_producer()
    mirror = MirrorService(settings, app.conf.id, Topics.of(app).dead_letters)
    web_app = web.Application()
    web_app[MIRROR] = mirror
    web_app.cleanup_ctx.append(probes.kafka_probe(settings.kafka))
    web_app.router.add_get("/api/v1/health", probes.health)
    web_app.router.add_get("/api/v1/ready", ready)
    web_app.router.add_get("/api/v1/metrics", probes.metrics)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        await mirror.start()
        settle_heap()
        await mirror.wait_until_stopped()
    finally:
        await mirror.stop()
        await runner.cleanup()
        await app.producer.stop()
