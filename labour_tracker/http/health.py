"""The worker's readiness: Kafka and PostgreSQL answer it, and it serves commands and reads."""

from __future__ import annotations

import asyncio

from aiohttp import web

from labour_tracker.http.keys import DATABASE
from labour_tracker.http.ports import AGGREGATES
from labour_tracker.probes import KAFKA_PROBE, readiness


async def ready(request: web.Request) -> web.Response:
    kafka, postgres = await asyncio.gather(request.app[KAFKA_PROBE].answers(), request.app[DATABASE].answers())
    return readiness(kafka, postgres, "worker", request.app[AGGREGATES].serving(), doing="serving")
