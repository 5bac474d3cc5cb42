"""The local signing key for use without an OpenID Connect issuer: created once, issuing and verifying tokens."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from labour_tracker.identity.claims import InvalidToken
from labour_tracker.identity.tokens import ACCESS_TOKEN_TYPE, DEFAULT_ALGORITHMS, Verifier

__all__ = ["LOCAL_ISSUER", "LocalVerifier", "issue_local_token", "load_or_create_local_key", "local_key_id"]

logger = logging.getLogger(__name__)

LOCAL_ISSUER: Final = "labour-tracker-local"


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
    roles: Sequence[str] = (),
    verified: bool = True,
    lifetime: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A token `LocalVerifier` accepts for `audience`, shaped like the issuer's so views cannot tell the two apart.
    The local issuer vouches for the email and phone it is given (`verified`), as an identity provider would."""
    issued = int((now or datetime.now(UTC)).timestamp())
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "aud": audience,
        "sub": sub,
        "given_name": given_name,
        "family_name": family_name,
        "preferred_username": sub,
        "typ": ACCESS_TOKEN_TYPE,
        "azp": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
    }
    if email is not None:
        claims["email"], claims["email_verified"] = email, verified
    if phone_number is not None:
        claims["phone_number"], claims["phone_number_verified"] = phone_number, verified
    if roles:
        claims["realm_access"] = {"roles": list(roles)}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": local_key_id(key.public_key())})


class LocalVerifier(Verifier):
    """Verifies tokens from `issue_local_token`: issuer `LOCAL_ISSUER`, signed by the one local key."""

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        audience: str,
        *,
        leeway: float = 30.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        clients: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(
            issuer=LOCAL_ISSUER,
            audience=audience,
            algorithms=DEFAULT_ALGORITHMS,
            leeway=leeway,
            cache_size=cache_size,
            clock=clock,
            clients=clients | {audience} if clients else clients,  # local tokens name the audience as their client
        )
        self._kid = local_key_id(public_key)
        self._public_key = jwt.PyJWK(RSAAlgorithm.to_jwk(public_key, as_dict=True), algorithm="RS256")

    async def _key(self, kid: str, token: str) -> jwt.PyJWK:
        if kid != self._kid:
            raise InvalidToken("unknown signing key")
        return self._public_key

    async def close(self) -> None:
        """Nothing to release; here so both verifiers close alike."""
