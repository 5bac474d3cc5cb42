"""Tokens of a real OpenID Connect issuer (a local aiohttp server) are checked against its JWKS, fetched sparingly;
the middleware turns the outcome into a user or an RFC 6750 challenge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import test_utils, web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from labour_tracker.http.authentication import authentication, current_user
from labour_tracker.identity.claims import InvalidToken
from labour_tracker.identity.jwks import MAX_DOCUMENT_BYTES, JwksVerifier, KeysUnavailable
from labour_tracker.identity.local_key import LocalVerifier, issue_local_token

AUDIENCE = "labour-tracker"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


ENCRYPTION_KEY = _new_key()


class FakeIssuer:
    """An OpenID Connect issuer serving discovery and a JWKS whose keys a test can rotate or break."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.discovery_hits = 0
        self.jwks_hits = 0
        self.failing = False
        self.announced_issuer: str | None = None
        self.padding = 0  # bytes of filler in the JWKS document
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/protocol/openid-connect/certs", self._jwks)
        self.server = test_utils.TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/protocol/openid-connect/certs"

    async def _discovery(self, request: web.Request) -> web.Response:
        self.discovery_hits += 1
        return web.json_response({"issuer": self.announced_issuer or self.url, "jwks_uri": self.jwks_url})

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_hits += 1
        if self.failing:
            raise web.HTTPInternalServerError()
        keys = [
            {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}
            for kid, key in self.keys.items()
        ]
        # Keycloak also publishes an encryption key; it must never verify a signature.
        encryption = {**RSAAlgorithm.to_jwk(ENCRYPTION_KEY.public_key(), as_dict=True), "kid": "enc", "use": "enc"}
        document = {"keys": [*keys, encryption], "filler": "x" * self.padding}
        return web.json_response(document, content_type="application/jwk-set+json")

    def add_key(self, kid: str, key: rsa.RSAPrivateKey | None = None) -> rsa.RSAPrivateKey:
        self.keys[kid] = key or _new_key()
        return self.keys[kid]

    def token(self, kid: str, key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": ["account", AUDIENCE],
            "sub": "u-1",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.org",
            "preferred_username": "ada",
            "typ": "Bearer",
            "azp": "labour-tracker-web",
            "iat": now,
            "exp": now + 300,
            **overrides,
        }
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def spare_key() -> rsa.RSAPrivateKey:
    return _new_key()


@pytest.fixture
async def issuer() -> AsyncIterator[FakeIssuer]:
    fake = FakeIssuer()
    fake.add_key("k1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def verifier(issuer: FakeIssuer) -> AsyncIterator[JwksVerifier]:
    verifying = JwksVerifier(issuer.url, AUDIENCE)
    yield verifying
    await verifying.close()


async def test_a_token_verifies_against_keys_found_by_discovery(issuer: FakeIssuer, verifier: JwksVerifier) -> None:
    user = await verifier.verify(issuer.token("k1"))
    assert (user.id, user.first_name, user.last_name, user.email, user.username) == (
        "u-1",
        "Ada",
        "Lovelace",
        "ada@example.org",
        "ada",
    )
    assert (issuer.discovery_hits, issuer.jwks_hits) == (1, 1)


async def test_a_configured_jwks_url_skips_discovery(issuer: FakeIssuer) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, jwks_url=issuer.jwks_url)
    try:
        assert (await verifier.verify(issuer.token("k1"))).id == "u-1"
    finally:
        await verifier.close()
    assert (issuer.discovery_hits, issuer.jwks_hits) == (0, 1)


async def test_known_keys_are_not_fetched_again(issuer: FakeIssuer, verifier: JwksVerifier) -> None:
    for sub in ("a", "b", "c"):
        await verifier.verify(issuer.token("k1", sub=sub))
    assert issuer.jwks_hits == 1


async def test_a_rotated_key_verifies_after_one_refresh(issuer: FakeIssuer) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=0.0)
    try:
        await verifier.verify(issuer.token("k1"))
        issuer.add_key("k2")
        assert (await verifier.verify(issuer.token("k2", sub="u-2"))).id == "u-2"
        assert (await verifier.verify(issuer.token("k1", sub="u-3"))).id == "u-3"
    finally:
        await verifier.close()
    assert issuer.jwks_hits == 2


async def test_a_key_dropped_from_the_jwks_stops_verifying_after_a_refresh(issuer: FakeIssuer) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=0.0)
    try:
        old = issuer.token("k1")
        await verifier.verify(issuer.token("k1", sub="warm-up"))
        del issuer.keys["k1"]
        issuer.add_key("k2")
        await verifier.verify(issuer.token("k2"))
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await verifier.verify(old)
    finally:
        await verifier.close()


async def test_unknown_key_ids_refresh_at_most_once_per_interval(
    issuer: FakeIssuer, spare_key: rsa.RSAPrivateKey
) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=0.5)
    strangers = [issuer.token(f"unknown-{n}", key=spare_key) for n in range(25)]

    async def refusals() -> list[str]:
        outcomes = await asyncio.gather(*(verifier.verify(token) for token in strangers), return_exceptions=True)
        return [outcome.reason for outcome in outcomes if isinstance(outcome, InvalidToken)]

    try:
        await verifier.verify(issuer.token("k1"))
        assert await refusals() == ["unknown signing key"] * 25
        assert issuer.jwks_hits == 1
        await asyncio.sleep(0.5)
        assert await refusals() == ["unknown signing key"] * 25
        assert issuer.jwks_hits == 2
    finally:
        await verifier.close()


async def test_made_up_key_ids_cannot_hold_a_freshly_rotated_key_out(
    issuer: FakeIssuer, spare_key: rsa.RSAPrivateKey
) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=3600.0, fresh_key_interval=0.2)
    try:
        await verifier.verify(issuer.token("k1"))
        await asyncio.sleep(0.2)
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await verifier.verify(issuer.token("made-up", key=spare_key))  # as new as a rotated key: fetched
        issuer.add_key("k2")  # rotated just after that fetch
        await asyncio.sleep(0.2)
        assert (await verifier.verify(issuer.token("k2", sub="u-2"))).id == "u-2"
    finally:
        await verifier.close()
    assert issuer.jwks_hits == 3


async def test_unknown_key_ids_in_tokens_older_than_the_keys_wait_for_the_full_interval(
    issuer: FakeIssuer, spare_key: rsa.RSAPrivateKey
) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=3600.0, fresh_key_interval=0.0)
    hour_ago = int(time.time()) - 3600
    try:
        await verifier.verify(issuer.token("k1"))
        for n in range(5):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                await verifier.verify(issuer.token(f"old-{n}", key=spare_key, iat=hour_ago))
    finally:
        await verifier.close()
    assert issuer.jwks_hits == 1


async def test_a_jwks_document_past_the_size_cap_is_not_read(issuer: FakeIssuer) -> None:
    verifier = JwksVerifier(issuer.url, AUDIENCE, refresh_interval=0.0)
    try:
        issuer.padding = MAX_DOCUMENT_BYTES
        with pytest.raises(KeysUnavailable):
            await verifier.verify(issuer.token("k1"))
        issuer.padding = MAX_DOCUMENT_BYTES // 2
        assert (await verifier.verify(issuer.token("k1"))).id == "u-1"
    finally:
        await verifier.close()


async def test_concurrent_first_callers_share_one_fetch(issuer: FakeIssuer, verifier: JwksVerifier) -> None:
    users = await asyncio.gather(*(verifier.verify(issuer.token("k1", sub=f"u-{n}")) for n in range(25)))
    assert len({user.id for user in users}) == 25
    assert (issuer.discovery_hits, issuer.jwks_hits) == (1, 1)


async def test_a_local_mode_token_is_refused(issuer: FakeIssuer, verifier: JwksVerifier) -> None:
    local_key = issuer.keys["k1"]
    local_token = issue_local_token(local_key, audience=AUDIENCE, sub="u-1", given_name="A", family_name="B")
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(local_token)


async def test_a_local_mode_token_is_refused_even_when_signed_by_an_issuer_key(
    issuer: FakeIssuer, verifier: JwksVerifier
) -> None:
    local_key = issuer.keys["k1"]
    local_token = issue_local_token(local_key, audience=AUDIENCE, sub="u-1", given_name="A", family_name="B")
    issuer.add_key(jwt.get_unverified_header(local_token)["kid"], local_key)
    with pytest.raises(InvalidToken, match="wrong issuer"):
        await verifier.verify(local_token)


async def test_an_unreachable_jwks_is_reported_as_unavailable_not_as_a_bad_token(
    issuer: FakeIssuer, verifier: JwksVerifier
) -> None:
    issuer.failing = True
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            await verifier.verify(issuer.token("k1"))
    assert issuer.jwks_hits == 1


async def test_a_discovery_document_of_another_issuer_is_not_trusted(
    issuer: FakeIssuer, verifier: JwksVerifier
) -> None:
    issuer.announced_issuer = "https://attacker.example"
    with pytest.raises(KeysUnavailable):
        await verifier.verify(issuer.token("k1"))
    assert issuer.jwks_hits == 0


async def test_an_encryption_key_never_verifies_a_signature(issuer: FakeIssuer, verifier: JwksVerifier) -> None:
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(issuer.token("enc", key=ENCRYPTION_KEY))


PUBLIC = frozenset({"/api/v1/health", "/api/v1/open/{name}"})


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _me(request: web.Request) -> web.Response:
    user = current_user(request)
    return web.json_response({"id": user.id, "first_name": user.first_name})


@pytest.fixture
async def client(verifier: JwksVerifier) -> AsyncIterator[test_utils.TestClient[web.Request, web.Application]]:
    api = web.Application(middlewares=[authentication(verifier, PUBLIC)])
    api.router.add_get("/health", _ok)
    api.router.add_get("/open/{name}", _ok)
    api.router.add_get("/me", _me)
    root = web.Application()
    root.add_subapp("/api/v1", api)
    async with test_utils.TestClient(test_utils.TestServer(root, host="127.0.0.1")) as testing:
        yield testing


async def test_a_good_token_reaches_the_view_as_a_user(
    issuer: FakeIssuer, client: test_utils.TestClient[web.Request, web.Application]
) -> None:
    for scheme in ("Bearer", "bearer"):
        response = await client.get("/api/v1/me", headers={"Authorization": f"{scheme} {issuer.token('k1')}"})
        assert (response.status, await response.json()) == (200, {"id": "u-1", "first_name": "Ada"})


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dTpw", "Token abc"])
async def test_a_request_without_a_bearer_token_gets_a_challenge(
    authorization: str | None, client: test_utils.TestClient[web.Request, web.Application]
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="labour-tracker"'
    assert response.content_type == "application/json"
    assert (await response.json())["code"] == "unauthenticated"


async def test_a_bad_token_gets_an_invalid_token_challenge(
    issuer: FakeIssuer, client: test_utils.TestClient[web.Request, web.Application]
) -> None:
    expired = issuer.token("k1", iat=int(time.time()) - 600, exp=int(time.time()) - 300)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="labour-tracker", error="invalid_token", error_description="token expired"'
    )
    assert await response.json() == {"description": "invalid token: token expired", "code": "invalid_token"}


async def test_public_paths_are_open_and_matched_by_route_not_by_text(
    client: test_utils.TestClient[web.Request, web.Application],
) -> None:
    assert (await client.get("/api/v1/health")).status == 200
    assert (await client.get("/api/v1/open/anything")).status == 200
    assert (await client.get("/api/v1/health/")).status == 401
    assert (await client.get("/api/v1/healthz")).status == 401


async def test_an_unreachable_issuer_answers_503(
    issuer: FakeIssuer, client: test_utils.TestClient[web.Request, web.Application]
) -> None:
    issuer.failing = True
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {issuer.token('k1')}"})
    assert response.status == 503
    assert (await response.json())["code"] == "unavailable"


async def test_the_middleware_works_with_any_verifier(spare_key: rsa.RSAPrivateKey) -> None:
    api = web.Application(middlewares=[authentication(LocalVerifier(spare_key.public_key(), AUDIENCE), PUBLIC)])
    api.router.add_get("/me", _me)
    token = issue_local_token(spare_key, audience=AUDIENCE, sub="local", given_name="Lo", family_name="Cal")
    async with test_utils.TestClient(test_utils.TestServer(api, host="127.0.0.1")) as client:
        response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert await response.json() == {"id": "local", "first_name": "Lo"}
