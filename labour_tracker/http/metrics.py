"""The API's side of the metrics: GET /api/v1/metrics in Prometheus' text format, and each request timed."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from labour_tracker.metrics import REGISTRY, http_request_duration_seconds


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


@web.middleware
async def timed_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every request by its route template (never the raw path: ids would make a series each)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        http_request_duration_seconds.labels(method=request.method, route=route, status=str(status)).observe(
            time.perf_counter() - started
        )
