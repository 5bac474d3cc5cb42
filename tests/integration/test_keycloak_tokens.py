"""A real Keycloak with the realm compose imports: a user signs up for a token and the API takes it as it comes.

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
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.keycloak import REALM, KeycloakServer
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.claims import OPERATOR_ROLE
from tests.support.api import Caller
from tests.support.servers import new_dir
from tests.support.stack import new_stack
from tests.support.tokens import authorization


@pytest.fixture(scope="module")
def keycloak_and_worker(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[tuple[KeycloakServer, WorkerProcess]]:
    keycloak = KeycloakServer(new_dir("keycloak"))
    # A generous reply timeout: Keycloak starting beside the worker can hold up its first command on a busy machine.
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_OIDC_ISSUER=keycloak.issuer, LABOUR_TRACKER_REPLY_TIMEOUT="30")
    worker = stack.worker("keycloak")
    try:
        keycloak.start(wait=False)  # both start at once: the worker asks Keycloak for keys only on a first token
        worker.start()
        keycloak.wait_ready()
        yield keycloak, worker
    finally:
        worker.stop()
        keycloak.stop()


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
