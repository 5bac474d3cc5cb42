"""Tokens for the identity tests: claims, signed tokens and local tokens for one audience, and their refusals."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.identity.claims import InvalidToken
from labour_tracker.identity.local_key import LOCAL_ISSUER, LocalVerifier, issue_local_token, local_key_id

AUDIENCE = "labour-tracker"


def segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "u-1", "typ": "Bearer", "iat": now, "nbf": now}
    claims["exp"] = now + 600
    return {**claims, **overrides}


def signed(key: rsa.RSAPrivateKey, claims: dict[str, Any], *, kid: str | None = None) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or local_key_id(key.public_key())})


def local_token(key: rsa.RSAPrivateKey, **kwargs: Any) -> str:
    return issue_local_token(key, audience=AUDIENCE, sub="u-1", given_name="Ada", family_name="Lovelace", **kwargs)


async def refusal(verifier: LocalVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        await verifier.verify(token)
    return refused.value.reason
