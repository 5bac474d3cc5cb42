"""Each API request timed, by its route."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from labour_tracker.metrics import http_request_duration_seconds


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
