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

__all__ = ["DEFAULT_ALGORITHMS", "TokenVerifier", "Verifier", "decode"]

DEFAULT_ALGORITHMS: Final = ("RS256",)
# Asymmetric only: "none" and HS* would let anyone holding the public key mint tokens.
_ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_REQUIRED_CLAIMS: Final = ["exp", "iat", "iss", "aud", "sub"]


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


def decode(
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
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithms = _pinned(algorithms)
        self._leeway = leeway
        self._clock = clock
        self._verified = VerifiedTokens(cache_size)

    async def verify(self, token: str) -> User:
        now = self._clock()
        user = self._verified.get(token, now)
        if user is not None:
            return user
        key = await self._key(_key_id(token, self.algorithms))
        user, until = decode(
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
