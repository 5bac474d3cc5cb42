"""A verified token is answered from the cache until it stops being acceptable; refused tokens are not kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.domain.user import User
from labour_tracker.identity import tokens
from labour_tracker.identity.local_key import LocalVerifier, issue_local_token
from tests.unit.identity.local_tokens import AUDIENCE, local_token, refusal


class _CountingDecode:
    def __init__(self) -> None:
        self.calls = 0
        self._decode = tokens.decode

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[User, float]:
        self.calls += 1
        return self._decode(*args, **kwargs)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> _CountingDecode:
    counting = _CountingDecode()
    monkeypatch.setattr(tokens, "decode", counting)
    return counting


async def test_a_verified_token_is_answered_from_the_cache(
    key: rsa.RSAPrivateKey, verifier: LocalVerifier, decodes: _CountingDecode
) -> None:
    token = local_token(key)
    first = await verifier.verify(token)
    again = await verifier.verify(token)
    assert again is first
    assert decodes.calls == 1


async def test_a_cached_token_is_refused_once_expired_beyond_the_leeway(
    key: rsa.RSAPrivateKey, decodes: _CountingDecode
) -> None:
    issued = datetime.now(UTC)
    clock = [issued.timestamp()]
    verifier = LocalVerifier(key.public_key(), AUDIENCE, clock=lambda: clock[0])
    token = local_token(key, now=issued, lifetime=timedelta(minutes=5))
    await verifier.verify(token)
    clock[0] += 5 * 60 + 29
    await verifier.verify(token)
    assert decodes.calls == 1
    clock[0] += 2
    assert await refusal(verifier, token) == "token expired"


async def test_the_cache_forgets_the_least_recently_used_token_when_full(
    key: rsa.RSAPrivateKey, decodes: _CountingDecode
) -> None:
    verifier = LocalVerifier(key.public_key(), AUDIENCE, cache_size=2)
    first, second, third = (
        issue_local_token(key, audience=AUDIENCE, sub=sub, given_name="", family_name="") for sub in "abc"
    )
    for token in (first, second, first, third, first, second):
        await verifier.verify(token)
    assert decodes.calls == 4  # second was evicted by third; first stayed because it was used


async def test_a_refused_token_is_not_cached(key: rsa.RSAPrivateKey, decodes: _CountingDecode) -> None:
    verifier = LocalVerifier(key.public_key(), "another-service")
    token = local_token(key)
    for _ in range(2):
        await refusal(verifier, token)
    assert decodes.calls == 2
