"""Identity anti-corruption layer: the only module that sees JWTs; everything past it sees a domain `User`.

Production tokens come from an OpenID Connect issuer and are checked against its JWKS (`JwksVerifier`). With no
issuer configured, tokens signed by a local RSA key are trusted instead (`LocalVerifier`, `issue_local_token`).
Both share one decode-and-check function and one cache of verified tokens.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

import aiohttp
import jwt
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from labour_tracker.domain.user import User
from labour_tracker.messages.envelopes import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.settings import Settings

__all__ = [
    "LOCAL_ISSUER",
    "REALM",
    "USER",
    "InvalidToken",
    "JwksVerifier",
    "KeysUnavailable",
    "LocalVerifier",
    "TokenVerifier",
    "authentication",
    "claims_to_user",
    "current_user",
    "issue_local_token",
    "load_or_create_local_key",
    "local_key_id",
    "verifier_from_settings",
]

logger = logging.getLogger(__name__)

LOCAL_ISSUER: Final = "labour-tracker-local"
REALM: Final = "labour-tracker"
DEFAULT_ALGORITHMS: Final = ("RS256",)
# Asymmetric only: "none" and HS* would let anyone holding the public key mint tokens.
_ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_REQUIRED_CLAIMS: Final = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The bearer token cannot be trusted; `reason` is short, human and safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The issuer's signing keys could not be fetched: the token may be fine, we cannot tell (503, not 401)."""


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "") or None  # NUL is never part of a name, and no command may carry it


def claims_to_user(claims: Mapping[str, Any]) -> User:
    """The domain `User` named by verified claims; only `sub` is required, other claims degrade gracefully."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("token has no subject")
    if "\x00" in sub:
        raise InvalidToken("token subject holds a NUL character")
    if len(sub) > MAX_AGGREGATE_ID_LENGTH:
        raise InvalidToken("token subject is too long")
    username = _text(claims, "preferred_username")
    return User(
        id=sub,
        first_name=_text(claims, "given_name") or username or "",
        last_name=_text(claims, "family_name") or "",
        email=_text(claims, "email"),
        phone_number=_text(claims, "phone_number"),
        username=username,
    )


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> User:
        """The user a bearer token names, or `InvalidToken` (or `KeysUnavailable` when keys cannot be fetched)."""
        ...

    async def close(self) -> None: ...


def _pinned(algorithms: tuple[str, ...]) -> tuple[str, ...]:
    if not algorithms or not set(algorithms) <= _ASYMMETRIC_ALGORITHMS:
        raise ValueError(f"algorithms must be a non-empty subset of {sorted(_ASYMMETRIC_ALGORITHMS)}: {algorithms}")
    return algorithms


def _key_id(token: str, algorithms: tuple[str, ...]) -> str:
    """The header's `kid`, once `alg` is known to be pinned; nothing in the header is trusted beyond that."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None
    if header.get("alg") not in algorithms:
        raise InvalidToken("algorithm not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("token has no key id")
    return kid


def _timestamp(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    # bool is an int, and NaN would compare false against every bound and never expire.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken(f"claim {name} is not a time")
    return float(value)


def _decode(
    token: str,
    key: jwt.PyJWK,
    *,
    issuer: str,
    audience: str,
    algorithms: tuple[str, ...],
    leeway: float,
    now: float,
) -> tuple[User, float]:
    """The user and the time until which the token stays acceptable; the one place a token is checked."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            audience=audience,
            issuer=issuer,
            # Times are checked below against the verifier's clock, so the cache and the checks agree.
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": _REQUIRED_CLAIMS},
        )
    except jwt.InvalidSignatureError:
        raise InvalidToken("bad signature") from None
    except jwt.InvalidAlgorithmError:
        raise InvalidToken("algorithm not allowed") from None
    except jwt.InvalidIssuerError:
        raise InvalidToken("wrong issuer") from None
    except jwt.InvalidAudienceError:
        raise InvalidToken("wrong audience") from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(f"missing claim {error.claim}") from None
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None
    expires, not_before, issued = (_timestamp(claims, name) for name in ("exp", "nbf", "iat"))
    if expires is None or issued is None:
        raise InvalidToken("token has no exp or iat")
    if now > expires + leeway:
        raise InvalidToken("token expired")
    if not_before is not None and now + leeway < not_before:
        raise InvalidToken("token not yet valid")
    if now + leeway < issued:
        raise InvalidToken("token issued in the future")
    return claims_to_user(claims), expires + leeway


class _VerifiedTokens:
    """Users of tokens already verified, until each stops being acceptable; least recently used go first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("cache capacity must not be negative")
        self._capacity = capacity
        self._entries: OrderedDict[bytes, tuple[User, float]] = OrderedDict()

    @staticmethod
    def _digest(token: str) -> bytes:
        # A digest is smaller than the token and keeps bearer credentials out of memory dumps.
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str, now: float) -> User | None:
        digest = self._digest(token)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        user, until = entry
        if now > until:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return user

    def put(self, token: str, user: User, until: float) -> None:
        if self._capacity == 0:
            return
        digest = self._digest(token)
        self._entries[digest] = (user, until)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class _Verifier(abc.ABC):
    """What both verifiers share: header pinning, the one decode function and the verified-token cache."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: tuple[str, ...],
        leeway: float,
        cache_size: int,
        clock: Callable[[], float],
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithms = _pinned(algorithms)
        self._leeway = leeway
        self._clock = clock
        self._verified = _VerifiedTokens(cache_size)

    async def verify(self, token: str) -> User:
        now = self._clock()
        user = self._verified.get(token, now)
        if user is not None:
            return user
        key = await self._key(_key_id(token, self.algorithms))
        user, until = _decode(
            token,
            key,
            issuer=self.issuer,
            audience=self.audience,
            algorithms=self.algorithms,
            leeway=self._leeway,
            now=now,
        )
        self._verified.put(token, user, until)
        return user

    @abc.abstractmethod
    async def _key(self, kid: str) -> jwt.PyJWK:
        """The verification key named `kid`, or `InvalidToken`."""


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


class JwksVerifier(_Verifier):
    """Verifies tokens of an OpenID Connect issuer against its JWKS, fetched with aiohttp and cached by kid.

    An unknown kid triggers a refresh, at most one per `refresh_interval` seconds; concurrent callers share the
    fetch in flight. A failed fetch raises `KeysUnavailable` to its callers and to every caller until the next
    refresh is allowed.
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
        http_timeout: float = 5.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            issuer=issuer, audience=audience, algorithms=algorithms, leeway=leeway, cache_size=cache_size, clock=clock
        )
        self._jwks_url = jwks_url
        self._refresh_interval = refresh_interval
        self._http_timeout = http_timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._session: aiohttp.ClientSession | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._last_refresh: float | None = None
        self._last_error: str | None = None

    async def _key(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            await self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    async def _refresh(self) -> None:
        if self._refreshing is None:
            # Monotonic, so a wall-clock jump cannot hold refreshes back.
            started = time.monotonic()
            if self._last_refresh is not None and started - self._last_refresh < self._refresh_interval:
                if self._last_error is not None:
                    # A fresh exception each time: re-raising one instance would grow its traceback per request.
                    raise KeysUnavailable(self._last_error)
                return
            self._last_refresh = started
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
        async with self._session.get(url, headers={"Accept": "application/json"}) as response:
            # Issuers serve JWKS as application/jwk-set+json too.
            return await response.json(content_type=None)

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError, KeysUnavailable):
                await self._refreshing
        if self._session is not None:
            await self._session.close()
            self._session = None


def _base64url_uint(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")).rstrip(b"=").decode()


def local_key_id(key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 SHA-256 thumbprint of the key: stable across restarts, different for every key."""
    numbers = key.public_numbers()
    members = {"e": _base64url_uint(numbers.e), "kty": "RSA", "n": _base64url_uint(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def _load_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


def load_or_create_local_key(path: Path) -> rsa.RSAPrivateKey:
    """The local signing key at `path`, created (2048-bit RSA, PEM, mode 0600) if absent.

    Race-safe: the key is written to a temporary file and hard-linked into place, which fails rather than
    replace a key another process linked first; that key is then loaded and used.
    """
    with contextlib.suppress(FileNotFoundError):
        return _load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _load_private_key(path)
    finally:
        os.unlink(temporary)
    logger.info("created local signing key %s", path)
    return key


def issue_local_token(
    key: rsa.RSAPrivateKey,
    *,
    audience: str,
    sub: str,
    given_name: str,
    family_name: str,
    email: str | None = None,
    phone_number: str | None = None,
    lifetime: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A token `LocalVerifier` accepts for `audience`, shaped like the issuer's so views cannot tell the two apart."""
    issued = int((now or datetime.now(UTC)).timestamp())
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "aud": audience,
        "sub": sub,
        "given_name": given_name,
        "family_name": family_name,
        "preferred_username": sub,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
    }
    if email is not None:
        claims["email"] = email
    if phone_number is not None:
        claims["phone_number"] = phone_number
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": local_key_id(key.public_key())})


class LocalVerifier(_Verifier):
    """Verifies tokens from `issue_local_token`: issuer `LOCAL_ISSUER`, signed by the one local key."""

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        audience: str,
        *,
        leeway: float = 30.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            issuer=LOCAL_ISSUER,
            audience=audience,
            algorithms=DEFAULT_ALGORITHMS,
            leeway=leeway,
            cache_size=cache_size,
            clock=clock,
        )
        self._kid = local_key_id(public_key)
        self._public_key = jwt.PyJWK(RSAAlgorithm.to_jwk(public_key, as_dict=True), algorithm="RS256")

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid != self._kid:
            raise InvalidToken("unknown signing key")
        return self._public_key

    async def close(self) -> None:
        """Nothing to release; here so both verifiers close alike."""


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    """The issuer's JWKS when an issuer is configured (local tokens are then refused), else the local key."""
    if settings.oidc_issuer:
        return JwksVerifier(settings.oidc_issuer, settings.oidc_audience, jwks_url=settings.oidc_jwks_url)
    logger.warning(
        "no OIDC issuer configured: trusting tokens signed by %s (local use only)", settings.local_signing_key
    )
    key = load_or_create_local_key(settings.local_signing_key)
    return LocalVerifier(key.public_key(), settings.oidc_audience)


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
        token = _bearer_token(request)
        if token is None:
            raise _unauthorized("unauthenticated", "a bearer token is required", _challenge())
        try:
            request[USER] = await verifier.verify(token)
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
        return await handler(request)

    return authenticate
