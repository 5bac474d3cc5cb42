"""The identity layer turns trustworthy tokens into users and refuses every other token with a short reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.domain.user import User
from labour_tracker.http import identity
from labour_tracker.http.identity import (
    LOCAL_ISSUER,
    InvalidToken,
    JwksVerifier,
    LocalVerifier,
    claims_to_user,
    issue_local_token,
    load_or_create_local_key,
    local_key_id,
    verifier_from_settings,
)
from labour_tracker.settings import Settings

AUDIENCE = "labour-tracker"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(key: rsa.RSAPrivateKey) -> LocalVerifier:
    return LocalVerifier(key.public_key(), AUDIENCE)


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "u-1", "iat": now, "nbf": now, "exp": now + 600}
    return {**claims, **overrides}


def _signed(key: rsa.RSAPrivateKey, claims: dict[str, Any], *, kid: str | None = None) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or local_key_id(key.public_key())})


def _token(key: rsa.RSAPrivateKey, **kwargs: Any) -> str:
    return issue_local_token(key, audience=AUDIENCE, sub="u-1", given_name="Ada", family_name="Lovelace", **kwargs)


async def _refusal(verifier: LocalVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        await verifier.verify(token)
    return refused.value.reason


def test_claims_become_a_user() -> None:
    claims = {
        "sub": "u-1",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "phone_number": "+447700900123",
        "preferred_username": "ada",
        "realm_access": {"roles": ["ignored"]},
    }
    assert claims_to_user(claims) == User("u-1", "Ada", "Lovelace", "ada@example.org", "+447700900123", "ada")


def test_missing_names_fall_back_to_the_username_then_to_empty() -> None:
    assert claims_to_user({"sub": "u-1", "preferred_username": "ada"}) == User("u-1", "ada", "", username="ada")
    assert claims_to_user({"sub": "u-1"}) == User("u-1", "", "")


def test_claims_of_the_wrong_type_are_treated_as_absent() -> None:
    claims = {"sub": "u-1", "given_name": 42, "family_name": None, "email": ["a@b"], "preferred_username": {}}
    assert claims_to_user(claims) == User("u-1", "", "")


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 7}], ids=["absent", "empty", "not-a-string"])
def test_a_user_needs_a_subject(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken, match="no subject"):
        claims_to_user(claims)


async def test_a_local_token_round_trips_to_its_user(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _token(key, email="ada@example.org", phone_number="+447700900123")
    assert await verifier.verify(token) == User("u-1", "Ada", "Lovelace", "ada@example.org", "+447700900123", "u-1")


async def test_a_local_token_names_the_local_issuer_and_a_stable_key_id(key: rsa.RSAPrivateKey) -> None:
    token = _token(key)
    assert jwt.get_unverified_header(token)["kid"] == local_key_id(key.public_key())
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == LOCAL_ISSUER


async def test_an_unsigned_alg_none_token_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": local_key_id(key.public_key())}
    token = f"{_segment(header)}.{_segment(_valid_claims())}."
    assert await _refusal(verifier, token) == "algorithm not allowed"


async def test_a_token_from_another_key_is_refused(other_key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    assert await _refusal(verifier, _token(other_key)) == "unknown signing key"


async def test_a_token_from_another_key_claiming_our_key_id_is_refused(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    token = _signed(other_key, _valid_claims(), kid=local_key_id(key.public_key()))
    assert await _refusal(verifier, token) == "bad signature"


async def test_hs256_signed_with_the_public_key_as_secret_is_refused(
    key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": local_key_id(key.public_key())}
    signing_input = f"{_segment(header)}.{_segment(_valid_claims())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert await _refusal(verifier, token) == "algorithm not allowed"


async def test_an_expired_token_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _token(key, now=datetime.now(UTC) - timedelta(hours=1), lifetime=timedelta(minutes=5))
    assert await _refusal(verifier, token) == "token expired"


async def test_a_token_not_yet_valid_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _token(key, now=datetime.now(UTC) + timedelta(minutes=5))
    assert await _refusal(verifier, token) == "token not yet valid"


async def test_a_token_issued_in_the_future_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    claims = _valid_claims(iat=int(time.time()) + 300)
    del claims["nbf"]
    assert await _refusal(verifier, _signed(key, claims)) == "token issued in the future"


async def test_clock_skew_within_the_leeway_is_tolerated(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _token(key, now=datetime.now(UTC) + timedelta(seconds=20))
    assert (await verifier.verify(token)).id == "u-1"


async def test_a_token_of_another_issuer_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _signed(key, _valid_claims(iss="https://idp.example/realms/other"))
    assert await _refusal(verifier, token) == "wrong issuer"


async def test_a_token_for_another_audience_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = issue_local_token(key, audience="another-service", sub="u-1", given_name="Ada", family_name="Lovelace")
    assert await _refusal(verifier, token) == "wrong audience"


async def test_an_audience_list_naming_us_is_accepted(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = _signed(key, _valid_claims(aud=["account", AUDIENCE]))
    assert (await verifier.verify(token)).id == "u-1"


async def test_a_token_without_subject_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    claims = _valid_claims()
    del claims["sub"]
    assert await _refusal(verifier, _signed(key, claims)) == "missing claim sub"


async def test_a_token_with_an_empty_subject_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    assert await _refusal(verifier, _signed(key, _valid_claims(sub=""))) == "token has no subject"


@pytest.mark.parametrize("claim", ["exp", "iat"])
async def test_a_token_without_exp_or_iat_is_refused(
    claim: str, key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    claims = _valid_claims()
    del claims[claim]
    assert await _refusal(verifier, _signed(key, claims)) == f"missing claim {claim}"


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), "4102444800", True], ids=["nan", "inf", "text", "bool"])
async def test_an_expiry_that_is_not_a_finite_number_is_refused(
    exp: Any, key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    assert await _refusal(verifier, _signed(key, _valid_claims(exp=exp))) == "claim exp is not a time"


async def test_a_token_without_key_id_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = jwt.encode(_valid_claims(), key, algorithm="RS256")
    assert await _refusal(verifier, token) == "token has no key id"


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "Bearer x", "e30.e30.e30"])
async def test_garbage_is_refused(garbage: str, verifier: LocalVerifier) -> None:
    assert await _refusal(verifier, garbage) in {"malformed token", "algorithm not allowed"}


class _CountingDecode:
    def __init__(self) -> None:
        self.calls = 0
        self._decode = identity._decode

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[User, float]:
        self.calls += 1
        return self._decode(*args, **kwargs)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> _CountingDecode:
    counting = _CountingDecode()
    monkeypatch.setattr(identity, "_decode", counting)
    return counting


async def test_a_verified_token_is_answered_from_the_cache(
    key: rsa.RSAPrivateKey, verifier: LocalVerifier, decodes: _CountingDecode
) -> None:
    token = _token(key)
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
    token = _token(key, now=issued, lifetime=timedelta(minutes=5))
    await verifier.verify(token)
    clock[0] += 5 * 60 + 29
    await verifier.verify(token)
    assert decodes.calls == 1
    clock[0] += 2
    assert await _refusal(verifier, token) == "token expired"


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
    token = _token(key)
    for _ in range(2):
        await _refusal(verifier, token)
    assert decodes.calls == 2


@pytest.mark.parametrize("algorithms", [("none",), ("HS256",), ("RS256", "HS256"), ()])
def test_only_asymmetric_algorithms_can_be_pinned(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        JwksVerifier("https://idp.example", AUDIENCE, algorithms=algorithms)


def test_the_local_key_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "key.pem"
    created = load_or_create_local_key(path)
    assert (path.stat().st_mode & 0o777, created.key_size) == (0o600, 2048)
    loaded = load_or_create_local_key(path)
    assert loaded.private_numbers() == created.private_numbers()
    assert os.listdir(path.parent) == ["key.pem"]


def test_a_key_another_process_wrote_meanwhile_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "key.pem"
    winner = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    generate = rsa.generate_private_key

    def generate_while_another_process_writes(**kwargs: Any) -> rsa.RSAPrivateKey:
        path.write_bytes(winner)
        return generate(**kwargs)

    monkeypatch.setattr(rsa, "generate_private_key", generate_while_another_process_writes)
    key = load_or_create_local_key(path)
    assert key.private_numbers() == other_key.private_numbers()
    assert (path.read_bytes(), os.listdir(tmp_path)) == (winner, ["key.pem"])


def test_a_file_that_is_not_an_rsa_key_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("not a key")
    with pytest.raises(ValueError):
        load_or_create_local_key(path)
    assert path.read_text() == "not a key"


async def test_without_issuer_the_settings_give_a_local_verifier_with_a_new_key(tmp_path: Path) -> None:
    settings = Settings(oidc_issuer=None, local_signing_key=tmp_path / "key.pem")
    verifier = verifier_from_settings(settings)
    key = load_or_create_local_key(settings.local_signing_key)
    assert isinstance(verifier, LocalVerifier)
    assert (await verifier.verify(_token(key))).id == "u-1"


async def test_with_an_issuer_the_settings_give_a_jwks_verifier_for_it(tmp_path: Path) -> None:
    settings = Settings(oidc_issuer="https://idp.example/realms/lt", local_signing_key=tmp_path / "key.pem")
    verifier = verifier_from_settings(settings)
    assert isinstance(verifier, JwksVerifier)
    assert (verifier.issuer, verifier.audience, verifier.algorithms) == (settings.oidc_issuer, AUDIENCE, ("RS256",))
    assert not settings.local_signing_key.exists()
    await verifier.close()
