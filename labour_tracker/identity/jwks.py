"""Verification against an OpenID Connect issuer's JWKS, fetched with aiohttp, cached by kid and refreshed sparingly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt

from labour_tracker.identity.claims import InvalidToken
from labour_tracker.identity.tokens import DEFAULT_ALGORITHMS, Verifier

__all__ = ["JwksVerifier", "KeysUnavailable"]

logger = logging.getLogger(__name__)


MAX_DOCUMENT_BYTES = 64 * 1024  # a JWKS of some fifty RSA keys; an issuer's is a few KiB


class KeysUnavailable(Exception):
    """The issuer's signing keys could not be fetched: the token may be fine, we cannot tell (503, not 401)."""


def _usable_keys(jwks: Any, algorithms: tuple[str, ...]) -> dict[str, jwt.PyJWK]:
    """Signing keys by kid; keys for encryption, without kid or for an algorithm not pinned are left out."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise KeysUnavailable("JWKS document has no keys list")
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or jwk.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in algorithms:
            keys[jwk["kid"]] = key
    return keys


class JwksVerifier(Verifier):
    """Verifies tokens of an OpenID Connect issuer against its JWKS, fetched with aiohttp and cached by kid.

    An unknown kid triggers a refresh, at most one per `refresh_interval` seconds; concurrent callers share the
    fetch in flight. A token issued since the last fetch (within the leeway) may be signed by a key rotated in
    since: it may refresh after `fresh_key_interval`, so tokens with made-up kids cannot hold a new key out for
    long. A failed fetch raises `KeysUnavailable` to its callers and to every caller until the next refresh is
    allowed.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        jwks_url: str | None = None,
        algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS,
        leeway: float = 30.0,
        refresh_interval: float = 30.0,
        fresh_key_interval: float = 1.0,
        http_timeout: float = 5.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        clients: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(
            issuer=issuer,
            audience=audience,
            algorithms=algorithms,
            leeway=leeway,
            cache_size=cache_size,
            clock=clock,
            clients=clients,
        )
        self._jwks_url = jwks_url
        self._refresh_interval = refresh_interval
        self._fresh_key_interval = fresh_key_interval
        self._fetched_at = -math.inf  # the clock's time of the last fetch
        self._http_timeout = http_timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._session: aiohttp.ClientSession | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._last_refresh: float | None = None
        self._last_error: str | None = None

    async def _key(self, kid: str, token: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            await self._refresh(self._issued_since_fetch(token))
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    def _issued_since_fetch(self, token: str) -> bool:
        """Whether the token's (unverified) `iat` is after the last fetch, give or take the leeway."""
        try:
            issued = jwt.decode(token, options={"verify_signature": False}).get("iat")
        except jwt.PyJWTError:
            return False
        return isinstance(issued, int | float) and issued + self._leeway >= self._fetched_at

    async def _refresh(self, fresh_token: bool) -> None:
        if self._refreshing is None:
            # Monotonic, so a wall-clock jump cannot hold refreshes back.
            started = time.monotonic()
            interval = min(self._fresh_key_interval, self._refresh_interval) if fresh_token else self._refresh_interval
            if self._last_refresh is not None and started - self._last_refresh < interval:
                if self._last_error is not None:
                    # A fresh exception each time: re-raising one instance would grow its traceback per request.
                    raise KeysUnavailable(self._last_error)
                return
            self._last_refresh, self._fetched_at = started, self._clock()
            self._refreshing = asyncio.create_task(self._fetch_keys())
            self._refreshing.add_done_callback(self._refreshed)
        # Shielded: a caller that goes away must not cancel the fetch the others wait for.
        await asyncio.shield(self._refreshing)

    def _refreshed(self, task: asyncio.Task[None]) -> None:
        self._refreshing = None
        if task.cancelled():
            return
        error = task.exception()  # retrieved here, so a fetch nobody waits for any more does not warn
        self._last_error = str(error) if isinstance(error, KeysUnavailable) else None

    async def _fetch_keys(self) -> None:
        try:
            url = self._jwks_url or await self._discover_jwks_url()
            keys = _usable_keys(await self._get_json(url), self.algorithms)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.warning("signing keys of %s unavailable: %s", self.issuer, error)
            raise KeysUnavailable(f"signing keys of {self.issuer} unavailable") from error
        except KeysUnavailable as error:
            logger.warning("signing keys of %s unavailable: %s", self.issuer, error)
            raise
        if not keys:
            logger.warning("JWKS of %s has no usable signing key for %s", self.issuer, self.algorithms)
        logger.info("signing keys of %s: %s", self.issuer, sorted(keys))
        self._keys = keys

    async def _discover_jwks_url(self) -> str:
        document = await self._get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
            raise KeysUnavailable("discovery document has no jwks_uri")
        # OpenID Connect Discovery 1.0 §4.3: a document for another issuer must not be used.
        if document.get("issuer") != self.issuer:
            raise KeysUnavailable(f"discovery document names issuer {document.get('issuer')!r}")
        self._jwks_url = document["jwks_uri"]
        return self._jwks_url

    async def _get_json(self, url: str) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._http_timeout), raise_for_status=True
            )
        body = bytearray()
        async with self._session.get(url, headers={"Accept": "application/json"}) as response:
            async for chunk in response.content.iter_chunked(16 * 1024):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise KeysUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
        return json.loads(body)  # issuers serve JWKS as application/jwk-set+json too: the type is not checked

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError, KeysUnavailable):
                await self._refreshing
        if self._session is not None:
            await self._session.close()
            self._session = None
