"""What operators ask of every process, worker or mirror: is it alive, is it ready, and its metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from labour_tracker.metrics import REGISTRY
from labour_tracker.settings import KafkaConnection


class KafkaProbe:
    """One admin connection kept open; a metadata request proves the cluster answers."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self._admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=2000)
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


def kafka_probe(kafka: KafkaConnection) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that keeps a KafkaProbe of the cluster `kafka` names on the web app."""

    async def probing(app: web.Application) -> AsyncIterator[None]:
        app[KAFKA_PROBE] = KafkaProbe(kafka)
        yield
        await app[KAFKA_PROBE].close()

    return probing


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def readiness(kafka: bool, postgres: bool, **parts: tuple[bool, str]) -> web.Response:
    """200 when Kafka and PostgreSQL answer and each part of the process (name=(working, what it then does)) works;
    503 with each check else."""
    checks = {"kafka": "up" if kafka else "down", "postgres": "up" if postgres else "down"}
    checks |= {name: doing if working else "starting" for name, (working, doing) in parts.items()}
    ok = kafka and postgres and all(working for working, _ in parts.values())
    return web.json_response({"status": "ready" if ok else "not_ready", "checks": checks}, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    """The process's metrics in Prometheus' text format."""
    response = web.Response(body=generate_latest(REGISTRY))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
