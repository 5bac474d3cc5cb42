"""Authentication through the real worker: who may call, which tokens are refused, and that a caller only ever acts
on their own birthing-person record."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.local_key import LOCAL_ISSUER, issue_local_token, load_or_create_local_key, local_key_id
from tests.support.api import MakeCaller, Response
from tests.support.stack import Stack
from tests.support.tokens import AUDIENCE


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def good_claims(**changes: Any) -> dict[str, Any]:
    issued = int(time.time())
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": AUDIENCE,
        "sub": "mallory",
        "given_name": "Mallory",
        "family_name": "Forger",
        "typ": "Bearer",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 3600,
        **changes,
    }
    return {name: value for name, value in claims.items() if value is not None}


def rs256(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str | None) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} if kid else None)


def forged_tokens(key: rsa.RSAPrivateKey) -> dict[str, str]:
    """Tokens the worker must refuse, each forged against its real signing key `key`."""
    kid = local_key_id(key.public_key())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs256_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{segment(good_claims())}"
    hs256_signature = b64url(hmac.new(public_pem, hs256_input.encode(), hashlib.sha256).digest())
    genuine = issue_local_token(key, audience=AUDIENCE, sub="alice", given_name="Alice", family_name="Smith")
    header, _, signature = genuine.split(".")
    return {
        "garbage": "not-a-token",
        "three_garbage_parts": "aaaa.bbbb.cccc",
        "expired": issue_local_token(
            key,
            audience=AUDIENCE,
            sub="late",
            given_name="Late",
            family_name="Comer",
            lifetime=timedelta(hours=1),
            now=datetime.now(UTC) - timedelta(hours=2),
        ),
        "not_yet_valid": rs256(key, good_claims(nbf=int(time.time()) + 3600), kid),
        "issued_in_the_future": rs256(key, good_claims(iat=int(time.time()) + 3600), kid),
        "without_expiry": rs256(key, good_claims(exp=None), kid),
        "signed_by_another_key": issue_local_token(
            other, audience=AUDIENCE, sub="mallory", given_name="Mallory", family_name="Forger"
        ),
        "another_key_claiming_our_key_id": rs256(other, good_claims(), kid),
        "without_key_id": rs256(key, good_claims(), None),
        "alg_none": f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{segment(good_claims())}.",
        "hs256_signed_with_our_public_key_pem": f"{hs256_input}.{hs256_signature}",
        "another_audience": issue_local_token(
            key, audience="another-service", sub="alice", given_name="Alice", family_name="Smith"
        ),
        "another_issuer": rs256(key, good_claims(iss="https://issuer.example"), kid),
        "an_id_token": rs256(key, good_claims(typ="ID"), kid),
        "without_token_type": rs256(key, good_claims(typ=None), kid),
        "of_another_client": rs256(key, good_claims(azp="someone-elses-app"), kid),
        "genuine_signature_on_another_payload": f"{header}.{segment(good_claims(sub='alice'))}.{signature}",
    }


async def request(
    http: aiohttp.ClientSession, worker: WorkerProcess, method: str, path: str, headers: dict[str, str] | None = None
) -> Response:
    async with http.request(method, f"{worker.url}{path}", headers=headers or {}) as answer:
        body = await answer.read()
        parsed = json.loads(body) if answer.content_type == "application/json" else body
        return Response(answer.status, parsed, answer.headers)


def assert_unauthorized(answer: Response, code: str) -> None:
    assert answer.status == 401, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    assert set(answer.body) == {"description", "code"}, answer.body
    assert answer.body["code"] == code
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="labour-tracker"'), challenge
    assert ('error="invalid_token"' in challenge) is (code == "invalid_token"), challenge


@pytest.fixture(scope="module")
def forged(stack: Stack) -> dict[str, str]:
    return forged_tokens(load_or_create_local_key(stack.signing_key))


PROTECTED = [
    ("GET", "/api/v1/birthing-person/"),
    ("GET", "/api/v1/labour/active"),
    ("POST", "/api/v1/birthing-person/register"),
    ("POST", "/api/v1/labour/contraction/start"),
    ("PUT", "/api/v1/labour/complete"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic YWxpY2U6c2VjcmV0", "Token abc"])
async def test_a_request_without_a_bearer_token_is_401_unauthenticated_with_a_bearer_challenge(
    http: aiohttp.ClientSession, worker: WorkerProcess, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_unauthorized(await request(http, worker, method, path, headers), "unauthenticated")


FORGERIES = [
    "garbage",
    "three_garbage_parts",
    "expired",
    "not_yet_valid",
    "issued_in_the_future",
    "without_expiry",
    "signed_by_another_key",
    "another_key_claiming_our_key_id",
    "without_key_id",
    "alg_none",
    "hs256_signed_with_our_public_key_pem",
    "another_audience",
    "another_issuer",
    "genuine_signature_on_another_payload",
    "an_id_token",
    "without_token_type",
    "of_another_client",
]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_token_the_worker_cannot_trust_is_401_invalid_token(
    http: aiohttp.ClientSession, worker: WorkerProcess, forged: dict[str, str], forgery: str
) -> None:
    for method, path in PROTECTED[:3]:
        answer = await request(http, worker, method, path, {"Authorization": f"Bearer {forged[forgery]}"})
        assert_unauthorized(answer, "invalid_token")


def test_every_forgery_is_tried() -> None:
    assert sorted(FORGERIES) == sorted(forged_tokens(rsa.generate_private_key(public_exponent=65537, key_size=2048)))


async def test_the_bearer_scheme_name_is_case_insensitive(person: MakeCaller) -> None:
    alice = person()
    assert (await alice.get("/birthing-person/", headers={"Authorization": f"bearer {alice.token}"})).status == 404
    assert (await alice.get("/birthing-person/", headers={"Authorization": f"BEARER {alice.token}"})).status == 404


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/health", "application/json"),
        ("/api/v1/ready", "application/json"),
        ("/api/v1/openapi.json", "application/json"),
        ("/docs", "text/html"),
        ("/docs/static/swagger-ui.css", "text/css"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"], ids=["no_token", "garbage_token"])
async def test_health_readiness_and_the_api_documents_need_no_token(
    http: aiohttp.ClientSession, worker: WorkerProcess, path: str, content_type: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = await request(http, worker, "GET", path, headers)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith(content_type)


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/ready"])
async def test_a_head_probe_of_health_and_readiness_needs_no_token(
    http: aiohttp.ClientSession, worker: WorkerProcess, path: str
) -> None:
    async with http.head(f"{worker.url}{path}") as answer:
        assert answer.status == 200


# --- Every request acts on the caller's own record ------------------------------------------------------------------


async def test_nobody_can_read_another_persons_active_labour(person: MakeCaller) -> None:
    alice, bob = person("Alice", "Smith"), person("Bob", "Jones")
    await alice.post("/birthing-person/register")
    begun = await alice.post("/labour/begin", {"first_labour": True})
    assert begun.status == 200

    for path in ("/labour/active", "/labour/active/summary"):
        answer = await bob.get(path)  # Bob is not even registered: there is nothing of his to read
        assert (answer.status, answer.body["code"]) == (404, "birthing_person_not_found")
    await bob.post("/birthing-person/register")
    for path in ("/labour/active", "/labour/active/summary", f"/labour/active?birthing_person_id={alice.id}"):
        answer = await bob.get(path)
        assert (answer.status, answer.body["code"]) == (404, "labour_not_found")
    for path in (f"/birthing-person/{alice.id}/labour/active", f"/birthing-person/{alice.id}/labour/active/summary"):
        answer = await bob.get(path)  # naming her explicitly needs her consent: a subscription
        assert (answer.status, set(answer.body)) == (403, {"description", "code"}), answer.body
    own = await bob.get("/birthing-person/")
    assert (own.body["birthing_person"]["id"], own.body["birthing_person"]["active_labour_id"]) == (bob.id, None)

    still = await alice.get("/labour/active")
    assert still.status == 200
    assert still.body["labour"]["id"] == begun.body["labour"]["id"]


async def test_another_persons_contraction_commands_never_touch_your_labour(person: MakeCaller) -> None:
    alice, bob = person("Alice", "Smith"), person("Bob", "Jones")
    await alice.post("/birthing-person/register")
    alices_labour = (await alice.post("/labour/begin", {"first_labour": True})).body["labour"]["id"]

    answer = await bob.post("/labour/contraction/start", {"intensity": 5})
    assert (answer.status, answer.body["code"]) == (404, "birthing_person_not_found")
    await bob.post("/birthing-person/register")
    answer = await bob.post("/labour/contraction/start", {"intensity": 5})
    assert (answer.status, answer.body["code"]) == (404, "labour_not_found")
    answer = await bob.post("/labour/contraction/start", {"intensity": 5, "birthing_person_id": alice.id})
    assert (answer.status, answer.body["code"]) == (422, "validation_error")
    answer = await bob.put("/labour/complete", {})
    assert (answer.status, answer.body["code"]) == (404, "labour_not_found")

    bobs_labour = (await bob.post("/labour/begin", {"first_labour": False})).body["labour"]["id"]
    started = await bob.post("/labour/contraction/start", {"intensity": 5})
    assert started.status == 200
    assert started.body["labour"]["id"] == bobs_labour != alices_labour

    hers = (await alice.get("/labour/active")).body["labour"]
    assert (hers["id"], hers["contractions"]) == (alices_labour, [])


async def test_the_caller_is_the_tokens_subject_whatever_token_they_hold(person: MakeCaller) -> None:
    alice = person("Alice", "Smith")
    await alice.post("/birthing-person/register")
    begun = (await alice.post("/labour/begin", {"first_labour": True})).body["labour"]["id"]
    alice_again = person("Ali", "Smith-Jones", user_id=alice.id)  # another token (other names), the same subject
    assert alice_again.token != alice.token
    assert (await alice_again.get("/labour/active")).body["labour"]["id"] == begun


async def test_registration_takes_names_from_the_token_never_from_the_body(person: MakeCaller) -> None:
    mallory = person("Mallory", "Forger")
    answer = await mallory.post("/birthing-person/register", {"first_name": "Alice", "last_name": "Smith", "id": "x"})
    assert answer.status == 201
    registered = answer.body["birthing_person"]
    assert (registered["id"], registered["first_name"], registered["last_name"]) == (mallory.id, "Mallory", "Forger")


async def test_forged_tokens_for_a_real_person_cannot_read_their_labour(
    person: MakeCaller, http: aiohttp.ClientSession, worker: WorkerProcess, stack: Stack
) -> None:
    alice = person("Alice", "Smith")
    await alice.post("/birthing-person/register")
    await alice.post("/labour/begin", {"first_labour": True})
    key = load_or_create_local_key(stack.signing_key)

    def forge(signer: rsa.RSAPrivateKey) -> str:
        return rs256(signer, good_claims(sub=alice.id), local_key_id(key.public_key()))

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = await request(http, worker, "GET", "/api/v1/labour/active", {"Authorization": f"Bearer {forge(other)}"})
    assert_unauthorized(answer, "invalid_token")
    answer = await request(http, worker, "GET", "/api/v1/labour/active", {"Authorization": f"Bearer {forge(key)}"})
    assert answer.status == 200  # the same claims, signed by the real key, are trusted: only the signature differed
