"""How a view reads an aggregate: on this worker when it owns it; otherwise the owner answers the whole request."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientError, web
from yarl import URL

from labour_tracker.http.errors import AnsweredByOwner, ApiError
from labour_tracker.http.keys import HTTP_CLIENT
from labour_tracker.http.ports import AGGREGATES, NoOwner

FORWARDED_HEADER = "X-Labour-Tracker-Forwarded"  # marks a read another worker forwarded, so it is never bounced on
FORWARDED_AS_THEY_CAME = ("Content-Type", "Idempotency-Key")


async def read_state(request: web.Request, aggregate: str, key: str) -> Any | None:
    """The key's state on this worker, when it owns the key (None if there is none); otherwise the owner answers the
    whole request (raised as AnsweredByOwner, so no view needs to know where the data lives)."""
    owner = owner_elsewhere(request, aggregate, key)
    if owner is None:
        return request.app[AGGREGATES].state(aggregate, key)
    headers = {"Authorization": request.headers.get("Authorization", ""), FORWARDED_HEADER: "1"}
    # The request as it came: a view that sends a command may read first (a resend, a labour deleted).
    headers |= {name: request.headers[name] for name in FORWARDED_AS_THEY_CAME if name in request.headers}
    body = await request.read() if request.can_read_body else None
    try:
        async with request.app[HTTP_CLIENT].request(
            request.method, owner.with_path(request.path).with_query(request.query), headers=headers, data=body
        ) as answer:
            body = await answer.read()
    except (ClientError, TimeoutError):
        raise owner_unavailable() from None
    raise AnsweredByOwner(web.Response(body=body, status=answer.status, content_type=answer.content_type))


def owner_elsewhere(request: web.Request, aggregate: str, key: str) -> URL | None:
    """The address of the worker owning the key, None when this worker does; 503 while no worker owns it, or when a
    request forwarded here finds it moved on (it is never bounced on)."""
    try:
        owner = request.app[AGGREGATES].owner(aggregate, key)
    except NoOwner:
        raise ApiError(503, "not_ready", "The worker is joining the cluster; try again shortly.") from None
    if owner is not None and request.headers.get(FORWARDED_HEADER):
        raise ApiError(503, "rebalancing", "Partitions are moving between workers; try again shortly.")
    return owner


def owner_unavailable() -> ApiError:
    return ApiError(503, "owner_unavailable", "The worker holding this data did not answer; try again.")
