"""A real Keycloak with the realm compose imports: a user signs up for a token and the API takes it as it comes; the
API page signs in there as Swagger UI does, with the authorization code flow and PKCE.

The worker is given only the issuer (its keys are found through discovery) and the default audience, as in
docker-compose.yml; nothing is copied out of Keycloak.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import jwt
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.keycloak import REALM, KeycloakServer
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.claims import OPERATOR_ROLE
from tests.support.api import Caller
from tests.support.realm import keycloak_beside_worker
from tests.support.sign_in import ApiPage, Page, browser_session, code_from, pkce_pair, sign_in, submit
from tests.support.tokens import authorization


@pytest.fixture(scope="module")
def keycloak_and_worker(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[tuple[KeycloakServer, WorkerProcess]]:
    with keycloak_beside_worker(kafka, postgres, "keycloak") as started:
        yield started


def new_user(keycloak: KeycloakServer, *roles: str, **attributes: list[str]) -> tuple[str, str]:
    username, password = f"user-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    user_id = keycloak.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@example.com",
            "emailVerified": True,
            "firstName": "Alice",
            "lastName": "Smith",
            "attributes": attributes,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    for role in roles:
        keycloak.grant_realm_role(user_id, role)
    return username, password


async def test_a_password_grant_token_from_the_realm_registers_a_birthing_person_and_a_subscriber(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, worker = keycloak_and_worker
    username, password = new_user(keycloak, phone_number=["+447700900123"])
    token = keycloak.token(
        client_id="labour-tracker", client_secret=keycloak.client_secret, username=username, password=password
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        user = Caller(session, worker.url, token, user_id="")
        registered = await user.post("/birthing-person/register")
        assert registered.status == 201, registered.body
        person = registered.body["birthing_person"]
        assert (person["first_name"], person["last_name"]) == ("Alice", "Smith")

        subscribed = await user.post("/subscriber/register", {"contact_methods": ["sms", "email"]})
        assert subscribed.status == 201, subscribed.body
        subscriber = subscribed.body["subscriber"]
        assert subscriber["contact_methods"] == ["email", "sms"]
        assert person["id"] == subscriber["id"]  # the token's `sub`, Keycloak's user id
        tampered = Caller(session, worker.url, token[:-4] + "AAAA", user_id="")
        assert (await tampered.get("/birthing-person/")).status == 401

        # SMS needs the phone number the realm's claim mapper puts in the token: without one, it is refused.
        username, password = new_user(keycloak)
        token = keycloak.token(
            client_id="labour-tracker", client_secret=keycloak.client_secret, username=username, password=password
        )
        refused = await Caller(session, worker.url, token, user_id="").post(
            "/subscriber/register", {"contact_methods": ["sms"]}
        )
        assert (refused.status, refused.body["code"]) == (400, "phone_number_required")


async def test_the_realms_operator_role_opens_the_workers_pages_and_a_users_token_does_not(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, worker = keycloak_and_worker
    tokens = {
        role: keycloak.token(
            client_id="labour-tracker", client_secret=keycloak.client_secret, username=username, password=password
        )
        for role, (username, password) in {
            "operator": new_user(keycloak, OPERATOR_ROLE),
            "user": new_user(keycloak),
        }.items()
    }
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for role, status in (("operator", 200), ("user", 403)):
            async with session.get(f"{worker.url}/router/", headers=authorization(tokens[role])) as answer:
                assert answer.status == status, role


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def registration(keycloak: KeycloakServer, redirect_uri: str, *, pkce: bool = True) -> tuple[int, str, str]:
    """Status, Location and page of the realm's sign-up endpoint, as the front end's sign-up link opens it."""
    query = {
        "client_id": "labour-tracker-web",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": redirect_uri,
    }
    if pkce:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    url = f"{keycloak.url}/realms/{REALM}/protocol/openid-connect/registrations?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.build_opener(_NoRedirects).open(url, timeout=10) as page:
            return page.status, "", page.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location", ""), answer.read().decode()


def test_anyone_can_sign_up_with_a_phone_number_from_the_front_end(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, _ = keycloak_and_worker
    status, _, form = registration(keycloak, "http://localhost:3000/signed-in")
    assert status == 200
    assert 'name="phone_number"' in form and 'name="email"' in form and 'name="firstName"' in form
    # The front end is a public client: PKCE is required, and a redirect anywhere but the app is refused.
    status, location, _ = registration(keycloak, "http://localhost:3000/signed-in", pkce=False)
    assert status == 302 and "error=invalid_request" in location
    status, _, _ = registration(keycloak, "http://evil.example/signed-in")
    assert status == 400


# --- Sign-in from the API page ------------------------------------------------------------------------------------


async def test_the_api_page_signs_in_at_the_realm_with_pkce_and_the_api_takes_the_token_it_gets(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, worker = keycloak_and_worker
    username, password = new_user(keycloak, phone_number=["+447700900123"])
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    async with browser_session(keycloak.url) as browser:
        page = await ApiPage.read(browser, worker.url)
        assert page.client_id == "labour-tracker-web"
        assert page.redirect_uri == f"{worker.url}/docs/oauth2-redirect.html"
        assert page.authorization_url == f"{keycloak.issuer}/protocol/openid-connect/auth"
        async with browser.get(page.redirect_uri) as answer:  # where the realm sends the browser back
            assert answer.status == 200 and "swaggerUIRedirectOauth2" in await answer.text()

        # The page posts the code from its own origin: the browser asks first, with the headers Swagger UI sends.
        preflight = {
            "Origin": worker.url,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-requested-with",
        }
        async with browser.options(page.token_url, headers=preflight) as answer:
            assert answer.status == 200
            assert answer.headers.get("Access-Control-Allow-Origin") == worker.url

        code = await sign_in(browser, page, challenge, state, username, password)
        status, body, allowed_origin = await page.exchange(browser, code, verifier, origin=worker.url)
        assert status == 200, body
        assert allowed_origin == worker.url  # the realm lets the page's own origin read the answer
        token = body["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["azp"], claims["iss"]) == (page.client_id, keycloak.issuer)

        user = Caller(browser, worker.url, token, user_id="")
        registered = await user.post("/birthing-person/register")
        assert registered.status == 201, registered.body
        read = await user.get("/birthing-person/")
        assert read.status == 200, read.body
        person = read.body["birthing_person"]
        assert (person["id"], person["first_name"], person["last_name"]) == (claims["sub"], "Alice", "Smith")


async def test_someone_new_signs_up_from_the_api_page_and_registers_with_the_names_they_gave(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, worker = keycloak_and_worker
    username = f"new-{uuid.uuid4().hex[:10]}"
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    async with browser_session(keycloak.url) as browser:
        page = await ApiPage.read(browser, worker.url)
        async with browser.get(page.authorization_request(challenge, state)) as answer:
            assert answer.status == 200
            (sign_up,) = [link for link in Page(await answer.text()).links if "/login-actions/registration" in link]
        async with browser.get(urllib.parse.urljoin(keycloak.url, sign_up)) as answer:
            assert answer.status == 200
            form = Page(await answer.text()).forms["kc-register-form"]
        password = uuid.uuid4().hex
        status, location, text = await submit(
            browser,
            form,
            {
                "username": username,
                "email": f"{username}@example.com",
                "firstName": "Bea",
                "lastName": "Jones",
                "phone_number": "+447700900456",
                "password": password,
                "password-confirm": password,
            },
        )
        assert status == 302, text
        status, body, _ = await page.exchange(browser, code_from(location, page, state), verifier, origin=worker.url)
        assert status == 200, body

        user = Caller(browser, worker.url, body["access_token"], user_id="")
        registered = await user.post("/subscriber/register", {"contact_methods": ["sms", "email"]})
        assert registered.status == 201, registered.body
        subscriber = registered.body["subscriber"]
        assert (subscriber["first_name"], subscriber["last_name"]) == ("Bea", "Jones")


async def test_the_realm_refuses_the_api_pages_sign_in_redirected_elsewhere_or_exchanged_without_its_verifier(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess],
) -> None:
    keycloak, worker = keycloak_and_worker
    username, password = new_user(keycloak)
    verifier, challenge = pkce_pair()
    async with browser_session(keycloak.url) as browser:
        page = await ApiPage.read(browser, worker.url)
        # Only the page's own redirect: not another page of the worker, another port of its host, or another host.
        for elsewhere in (
            f"{worker.url}/docs/elsewhere.html",
            f"http://127.0.0.1:{worker.port + 1}/docs/oauth2-redirect.html",
            "http://evil.example/docs/oauth2-redirect.html",
        ):
            request = page.authorization_request(challenge, "s", redirect_uri=elsewhere)
            async with browser.get(request, allow_redirects=False) as answer:
                assert answer.status == 400, elsewhere
                assert "Location" not in answer.headers
        # A public client: no code without a PKCE challenge.
        async with browser.get(page.authorization_request(None, "s"), allow_redirects=False) as answer:
            location = answer.headers.get("Location", "")
            assert answer.status == 302 and location.startswith(page.redirect_uri + "?"), location
            assert "error=invalid_request" in location and "code=" not in location

        # A code is exchanged only with the verifier of its challenge: not another, and not none.
        for wrong in (pkce_pair()[0], None):
            code = await sign_in(browser, page, challenge, "s", username, password)
            status, body, _ = await page.exchange(browser, code, wrong, origin=worker.url)
            assert (status, body["error"]) == (400, "invalid_grant"), body
        code = await sign_in(browser, page, challenge, "s", username, password)
        status, body, _ = await page.exchange(browser, code, verifier, origin=worker.url)
        assert status == 200 and body["access_token"], body
