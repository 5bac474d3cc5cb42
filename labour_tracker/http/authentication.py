"""The aiohttp authentication middleware: the caller's bearer token becomes the `User` views get by `current_user`."""

from __future__ import annotations

import json
import logging
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from labour_tracker.domain.user import User
from labour_tracker.identity.claims import InvalidToken
from labour_tracker.identity.jwks import KeysUnavailable
from labour_tracker.identity.tokens import TokenVerifier

__all__ = ["REALM", "USER", "authenticated", "authentication", "current_user", "operators_only"]

logger = logging.getLogger(__name__)

REALM: Final = "labour-tracker"

USER = web.RequestKey("user", User)


def current_user(request: web.Request) -> User:
    """The authenticated caller; only routes behind `authentication` and not public have one."""
    try:
        return request[USER]
    except KeyError:
        raise RuntimeError(f"no authenticated user on {request.path}: public route or no middleware") from None


def _challenge(error: str | None = None, description: str | None = None) -> str:
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        # RFC 6750 §3: error_description excludes '"' and '\' and non-printable characters.
        safe = "".join(c for c in description or "" if " " <= c <= "~" and c not in '"\\')
        challenge += f', error="{error}", error_description="{safe}"'
    return challenge


def _unauthorized(code: str, description: str, challenge: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        headers={"WWW-Authenticate": challenge},
        text=json.dumps({"description": description, "code": code}),
        content_type="application/json",
    )


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    # RFC 7235 §2.1: the scheme name is case-insensitive.
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


async def authenticated(request: web.Request, verifier: TokenVerifier) -> User:
    """The caller its bearer token names; 401 with an RFC 6750 challenge when it names none that can be trusted."""
    token = _bearer_token(request)
    if token is None:
        raise _unauthorized("unauthenticated", "a bearer token is required", _challenge())
    try:
        return await verifier.verify(token)
    except InvalidToken as error:
        logger.debug("refused a token for %s %s: %s", request.method, request.path, error.reason)
        raise _unauthorized(
            "invalid_token", f"invalid token: {error.reason}", _challenge("invalid_token", error.reason)
        ) from None
    except KeysUnavailable:
        raise web.HTTPServiceUnavailable(
            headers={"Retry-After": "30"},
            text=json.dumps({"description": "the identity provider is unavailable", "code": "unavailable"}),
            content_type="application/json",
        ) from None


def authentication(verifier: TokenVerifier, public_paths: frozenset[str]) -> Middleware:
    """Middleware that puts the caller's `User` under `USER`, or answers 401 with an RFC 6750 challenge.

    `public_paths` holds canonical route paths as seen from the root application, mount prefix included
    (`/api/v1/health`, or the template `/api/v1/items/{id}` for a dynamic route); a request is public only when
    it was routed to such a resource, so unknown paths (404) and wrong methods (405) need a token too.
    """

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is not None and resource.canonical in public_paths:
            return await handler(request)
        request[USER] = await authenticated(request, verifier)
        return await handler(request)

    return authenticate


def operators_only(verifier: TokenVerifier, served_to_all: tuple[str, ...]) -> Middleware:
    """Middleware for the worker's own web pages (Faust's introspection: tables, routing, statistics): an operator's
    token only (403 for anyone else's, 401 for none). Paths under one of `served_to_all` (the API, its docs)
    pass through to their own checks."""
    under = tuple(prefix + "/" for prefix in served_to_all)

    @web.middleware
    async def operators(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in served_to_all or request.path.startswith(under):
            return await handler(request)
        if not (await authenticated(request, verifier)).operator:
            raise web.HTTPForbidden(
                text=json.dumps({"description": "these pages are for operators only", "code": "operators_only"}),
                content_type="application/json",
            )
        return await handler(request)

    return operators
