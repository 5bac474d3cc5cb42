"""Callers of a worker's HTTP API, each with a token of their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from labour_tracker.identity.local_key import load_or_create_local_key
from tests.support.tokens import authorization, bearer_token

if TYPE_CHECKING:
    from tests.support.stack import Stack


def iso(moment: datetime) -> str:
    """A time as the API takes it."""
    return moment.isoformat()


@dataclass
class Response:
    status: int
    body: Any
    headers: Any


class Caller:
    """Someone using the API with their own token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str, user_id: str) -> None:
        self.session, self.base_url, self.token, self.id = session, base_url, token, user_id

    async def call(
        self, method: str, path: str, json: Any = None, *, headers: dict[str, str] | None = None, data: Any = None
    ) -> Response:
        all_headers = {**authorization(self.token), **(headers or {})}
        async with self.session.request(
            method, f"{self.base_url}/api/v1{path}", json=json, data=data, headers=all_headers
        ) as answer:
            if answer.content_length == 0:
                body = None
            elif answer.content_type == "text/plain":  # the metrics
                body = await answer.text()
            else:
                body = await answer.json(content_type=None)
            return Response(answer.status, body, answer.headers)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.call("POST", path, json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.call("PUT", path, json, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Response:
        return await self.call("DELETE", path, **kwargs)


MakeCaller = Callable[..., Caller]


def caller_factory(stack: Stack, session: aiohttp.ClientSession, base_url: str) -> MakeCaller:
    """Makes a new caller at each call, with a token the stack's workers trust; a new user unless `user_id`."""
    key = load_or_create_local_key(stack.signing_key)

    def make(
        given_name: str = "Alex",
        family_name: str = "Doe",
        *,
        email: str | None = None,
        phone_number: str | None = None,
        user_id: str | None = None,
        url: str | None = None,
        verified: bool = True,
    ) -> Caller:
        sub = user_id or f"user-{uuid.uuid4().hex[:12]}"
        token = bearer_token(
            key,
            sub=sub,
            given_name=given_name,
            family_name=family_name,
            email=email,
            phone_number=phone_number,
            verified=verified,
        )
        return Caller(session, url or base_url, token, sub)

    return make
