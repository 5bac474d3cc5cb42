"""Liveness and readiness: the worker answers; Kafka and PostgreSQL answer it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from labour_tracker.http.keys import DATABASE, FAUST_APP, SETTINGS


class KafkaProbe:
    """One admin connection kept open; a metadata request proves the cluster answers."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        self._started = False

    async def answers(self, *, within: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(within):
                if not self._started:
                    await self._admin.start()
                    self._started = True
                await self._admin.describe_cluster()
                return True
        except (KafkaError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        if self._started:
            await self._admin.close()


KAFKA_PROBE = web.AppKey("kafka_probe", KafkaProbe)


async def kafka_probe(app: web.Application) -> AsyncIterator[None]:
    app[KAFKA_PROBE] = KafkaProbe(app[SETTINGS].kafka_bootstrap)
    yield
    await app[KAFKA_PROBE].close()


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def worker_serving(faust_app: Any) -> bool:
    """Topics declared, partitions assigned, tables recovered: commands and reads will be answered."""
    return bool(
        faust_app.topics_declared.is_set()
        and not faust_app.rebalancing
        and faust_app.tables.recovery.completed.is_set()
        and faust_app.assignor.changelog_distribution
    )


def readiness(kafka: bool, postgres: bool, role: str, serving: bool, *, doing: str) -> web.Response:
    """200 when Kafka and PostgreSQL answer and the process (`role`) is `doing` its work; 503 with each check else."""
    checks = {
        "kafka": "up" if kafka else "down",
        "postgres": "up" if postgres else "down",
        role: doing if serving else "starting",
    }
    ok = kafka and postgres and serving
    return web.json_response({"status": "ready" if ok else "not_ready", "checks": checks}, status=200 if ok else 503)


async def ready(request: web.Request) -> web.Response:
    kafka, postgres = await asyncio.gather(request.app[KAFKA_PROBE].answers(), request.app[DATABASE].answers())
    return readiness(kafka, postgres, "worker", worker_serving(request.app[FAUST_APP]), doing="serving")
