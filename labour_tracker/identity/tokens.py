"""Token checks: the one decode-and-check function, the `TokenVerifier` protocol, and the base both verifiers
share (algorithm pinning, the verified-token cache, the key a subclass names by `kid`)."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import jwt

from labour_tracker.domain.user import User
from labour_tracker.identity.cache import VerifiedTokens
from labour_tracker.identity.claims import InvalidToken, claims_to_user

__all__ = ["ACCESS_TOKEN_TYPE", "DEFAULT_ALGORITHMS", "TokenVerifier", "Verifier", "decode"]

DEFAULT_ALGORITHMS: Final = ("RS256",)
# Asymmetric only: "none" and HS* would let anyone holding the public key mint tokens.
_ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_REQUIRED_CLAIMS: Final = ["exp", "iat", "iss", "aud", "sub"]
# How an access token says what it is: RFC 9068's header `typ`, or Keycloak's `typ` claim (its ID tokens say "ID").
_ACCESS_TOKEN_HEADER_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})
ACCESS_TOKEN_TYPE: Final = "Bearer"


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


def _access_token(header: Mapping[str, Any], claims: Mapping[str, Any], clients: frozenset[str]) -> None:
    """Refuse anything but an access token for one of `clients` (any client when empty): an ID token names us as
    its audience too, but proves only that someone signed in somewhere."""
    header_type = header.get("typ")
    said_in_header = isinstance(header_type, str) and header_type.lower() in _ACCESS_TOKEN_HEADER_TYPES
    if not said_in_header and claims.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidToken("not an access token")
    client = claims.get("azp", claims.get("client_id"))
    if clients and client is not None and client not in clients:
        raise InvalidToken("token of another client")


def decode(
    token: str,
    key: jwt.PyJWK,
    *,
    issuer: str,
    audience: str,
    algorithms: tuple[str, ...],
    leeway: float,
    now: float,
    clients: frozenset[str] = frozenset(),
) -> tuple[User, float]:
    """The user and the time until which the token stays acceptable; the one place a token is checked."""
    try:
        decoded = jwt.decode_complete(
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
    claims = decoded["payload"]
    _access_token(decoded["header"], claims, clients)
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


class Verifier(abc.ABC):
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
        clients: frozenset[str] = frozenset(),
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.clients = clients
        self.algorithms = _pinned(algorithms)
        self._leeway = leeway
        self._clock = clock
        self._verified = VerifiedTokens(cache_size)

    async def verify(self, token: str) -> User:
        now = self._clock()
        user = self._verified.get(token, now)
        if user is not None:
            return user
        key = await self._key(_key_id(token, self.algorithms), token)
        user, until = decode(
            token,
            key,
            issuer=self.issuer,
            audience=self.audience,
            algorithms=self.algorithms,
            leeway=self._leeway,
            now=now,
            clients=self.clients,
        )
        self._verified.put(token, user, until)
        return user

    @abc.abstractmethod
    async def _key(self, kid: str, token: str) -> jwt.PyJWK:
        """The verification key named `kid` (in `token`'s header), or `InvalidToken`."""
