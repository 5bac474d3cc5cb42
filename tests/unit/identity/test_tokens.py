"""Trustworthy tokens become users and every other token is refused with a short reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.domain.user import User
from labour_tracker.identity.jwks import JwksVerifier
from labour_tracker.identity.local_key import LocalVerifier, issue_local_token, local_key_id
from tests.unit.identity.local_tokens import AUDIENCE, local_token, refusal, segment, signed, valid_claims


async def test_a_local_token_round_trips_to_its_user(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = local_token(key, email="ada@example.org", phone_number="+447700900123")
    assert await verifier.verify(token) == User(
        "u-1",
        "Ada",
        "Lovelace",
        "ada@example.org",
        "+447700900123",
        "u-1",
        email_verified=True,
        phone_number_verified=True,
    )


async def test_an_unsigned_alg_none_token_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": local_key_id(key.public_key())}
    token = f"{segment(header)}.{segment(valid_claims())}."
    assert await refusal(verifier, token) == "algorithm not allowed"


async def test_a_token_from_another_key_is_refused(other_key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    assert await refusal(verifier, local_token(other_key)) == "unknown signing key"


async def test_a_token_from_another_key_claiming_our_key_id_is_refused(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    token = signed(other_key, valid_claims(), kid=local_key_id(key.public_key()))
    assert await refusal(verifier, token) == "bad signature"


async def test_hs256_signed_with_the_public_key_as_secret_is_refused(
    key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": local_key_id(key.public_key())}
    signing_input = f"{segment(header)}.{segment(valid_claims())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert await refusal(verifier, token) == "algorithm not allowed"


async def test_an_expired_token_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = local_token(key, now=datetime.now(UTC) - timedelta(hours=1), lifetime=timedelta(minutes=5))
    assert await refusal(verifier, token) == "token expired"


async def test_a_token_not_yet_valid_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = local_token(key, now=datetime.now(UTC) + timedelta(minutes=5))
    assert await refusal(verifier, token) == "token not yet valid"


async def test_a_token_issued_in_the_future_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    claims = valid_claims(iat=int(time.time()) + 300)
    del claims["nbf"]
    assert await refusal(verifier, signed(key, claims)) == "token issued in the future"


async def test_clock_skew_within_the_leeway_is_tolerated(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = local_token(key, now=datetime.now(UTC) + timedelta(seconds=20))
    assert (await verifier.verify(token)).id == "u-1"


async def test_a_token_of_another_issuer_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = signed(key, valid_claims(iss="https://idp.example/realms/other"))
    assert await refusal(verifier, token) == "wrong issuer"


async def test_a_token_for_another_audience_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = issue_local_token(key, audience="another-service", sub="u-1", given_name="Ada", family_name="Lovelace")
    assert await refusal(verifier, token) == "wrong audience"


async def test_an_audience_list_naming_us_is_accepted(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = signed(key, valid_claims(aud=["account", AUDIENCE]))
    assert (await verifier.verify(token)).id == "u-1"


async def test_a_token_without_subject_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    claims = valid_claims()
    del claims["sub"]
    assert await refusal(verifier, signed(key, claims)) == "missing claim sub"


async def test_a_token_with_an_empty_subject_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    assert await refusal(verifier, signed(key, valid_claims(sub=""))) == "token has no subject"


@pytest.mark.parametrize("claim", ["exp", "iat"])
async def test_a_token_without_exp_or_iat_is_refused(
    claim: str, key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    claims = valid_claims()
    del claims[claim]
    assert await refusal(verifier, signed(key, claims)) == f"missing claim {claim}"


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), "4102444800", True], ids=["nan", "inf", "text", "bool"])
async def test_an_expiry_that_is_not_a_finite_number_is_refused(
    exp: Any, key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    assert await refusal(verifier, signed(key, valid_claims(exp=exp))) == "claim exp is not a time"


async def test_a_token_without_key_id_is_refused(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    token = jwt.encode(valid_claims(), key, algorithm="RS256")
    assert await refusal(verifier, token) == "token has no key id"


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "Bearer x", "e30.e30.e30"])
async def test_garbage_is_refused(garbage: str, verifier: LocalVerifier) -> None:
    assert await refusal(verifier, garbage) in {"malformed token", "algorithm not allowed"}


@pytest.mark.parametrize("algorithms", [("none",), ("HS256",), ("RS256", "HS256"), ()])
def test_only_asymmetric_algorithms_can_be_pinned(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        JwksVerifier("https://idp.example", AUDIENCE, algorithms=algorithms)


@pytest.mark.parametrize(
    ("token_type", "reason"),
    [("ID", "not an access token"), ("Refresh", "not an access token"), (None, "not an access token")],
)
async def test_only_an_access_token_is_accepted(
    token_type: str | None, reason: str, key: rsa.RSAPrivateKey, verifier: LocalVerifier
) -> None:
    claims = {name: value for name, value in valid_claims(typ=token_type).items() if value is not None}
    assert await refusal(verifier, signed(key, claims)) == reason


async def test_an_rfc_9068_access_token_says_so_in_its_header(key: rsa.RSAPrivateKey, verifier: LocalVerifier) -> None:
    claims = {name: value for name, value in valid_claims().items() if name != "typ"}
    headers = {"kid": local_key_id(key.public_key()), "typ": "at+jwt"}
    assert (await verifier.verify(jwt.encode(claims, key, algorithm="RS256", headers=headers))).id == "u-1"


async def test_a_token_of_a_client_not_configured_is_refused(key: rsa.RSAPrivateKey) -> None:
    verifier = LocalVerifier(key.public_key(), AUDIENCE, clients=frozenset({"labour-tracker-web"}))
    assert await refusal(verifier, signed(key, valid_claims(azp="someone-elses-app"))) == "token of another client"
    assert (await verifier.verify(signed(key, valid_claims(azp="labour-tracker-web")))).id == "u-1"
    assert (await verifier.verify(local_token(key))).id == "u-1", "local tokens name the audience as their client"
