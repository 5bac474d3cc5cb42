"""The worker's readiness: Kafka and PostgreSQL answer it, it serves commands and reads, and it follows the live
messages (until then a live stream would miss some, and is refused)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from labour_tracker.http.keys import DATABASE, LIVE
from labour_tracker.http.ports import AGGREGATES
from labour_tracker.probes import KAFKA_PROBE, readiness


async def ready(request: web.Request) -> web.Response:
    kafka, postgres = await asyncio.gather(request.app[KAFKA_PROBE].answers(), request.app[DATABASE].answers())
    return readiness(
        kafka,
        postgres,
        worker=(request.app[AGGREGATES].serving(), "serving"),
        live=(request.app[LIVE].hub.following, "following"),
    )
