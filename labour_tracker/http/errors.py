"""Every error leaves as `{"description", "code"}` (plus `details`) with the right status; a 500 is a bug."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from labour_tracker.domain.errors import DomainError, ErrorKind

log = logging.getLogger(__name__)

STATUS = {
    ErrorKind.INVALID.value: 400,
    ErrorKind.FORBIDDEN.value: 403,
    ErrorKind.NOT_FOUND.value: 404,
    ErrorKind.CONFLICT.value: 409,
    ErrorKind.UNPROCESSABLE.value: 422,
    ErrorKind.TOO_MANY.value: 429,
    "malformed": 400,
    "internal": 500,
}

# Codes for errors aiohttp raises itself (no route, wrong method, body too large, …).
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 415: "unsupported_media_type"}  # fmt: skip


class AnsweredByOwner(Exception):
    """The read belonged to another worker, which answered it: that answer goes to the caller as it is."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class ResponseBrokenOff(Exception):
    """A streamed answer failed after its status and part of its body went out. It is not turned into an error
    answer: the server drops the connection before the body's end, so the client sees it broken off, never short."""


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.code, self.description, self.details, self.headers = (
            status,
            code,
            description,
            details,
            headers,
        )

    @classmethod
    def from_error(
        cls, kind: str, code: str, description: str, details: Any = None, retry_after: int | None = None
    ) -> ApiError:
        return cls(STATUS.get(kind, 500), code, description, details=details, headers=_retry_after(retry_after))


def error_response(
    status: int, code: str, description: str, *, details: Any = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, Any] = {"description": description, "code": code}
    if details is not None:
        body["details"] = details
    return web.json_response(body, status=status, headers=headers)


def _retry_after(seconds: int | None) -> dict[str, str] | None:
    return None if seconds is None else {"Retry-After": str(seconds)}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_responses(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ResponseBrokenOff:
        raise
    except AnsweredByOwner as forwarded:
        return forwarded.response
    except ApiError as error:
        return error_response(error.status, error.code, error.description, details=error.details, headers=error.headers)
    except DomainError as error:
        return error_response(
            STATUS[error.kind.value], error.code, error.description, headers=_retry_after(error.retry_after)
        )
    except web.HTTPException as error:
        if error.content_type == "application/json":
            raise  # already in our shape (authentication)
        code = HTTP_CODES.get(error.status, "http_error")
        return error_response(
            error.status, code, error.reason, headers={k: v for k, v in error.headers.items() if k == "Allow"}
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
