"""The web app signs in through a real Keycloak with the realm compose imports, in a real browser: the
authorization code flow with PKCE at the public web client, back to /app/, and the API takes the token it got."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.keycloak import KeycloakServer
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.browser import OpenPhone
from tests.support.realm import keycloak_beside_worker


@pytest.fixture(scope="module")
def keycloak_and_worker(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[tuple[KeycloakServer, WorkerProcess]]:
    with keycloak_beside_worker(kafka, postgres, "keycloak-web-app") as started:
        yield started


async def test_a_person_signs_in_at_keycloak_with_pkce_and_registers(
    keycloak_and_worker: tuple[KeycloakServer, WorkerProcess], phone: OpenPhone
) -> None:
    keycloak, worker = keycloak_and_worker
    username, password = f"user-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    keycloak.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@example.com",
            "emailVerified": True,
            "firstName": "Grace",
            "lastName": "Hopper",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    page = await (await phone()).new_page()
    await page.goto(f"{worker.url}/app/")
    await expect(page.get_by_text("Development only")).to_have_count(0)

    await page.get_by_role("button", name="Sign in or create an account").click()
    await page.wait_for_url(f"{keycloak.url}/**")
    sent_to = urlsplit(page.url)
    assert "code_challenge_method=S256" in sent_to.query and "client_id=labour-tracker-web" in sent_to.query
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password)
    await page.locator("#kc-login").click()

    await page.wait_for_url(f"{worker.url}/app/**")
    await page.get_by_role("button", name="Start using Labour Tracker").click()
    await expect(page.locator("#plan-summary")).to_contain_text("Nothing planned yet")
    assert page.url == f"{worker.url}/app/"  # the code left the address as soon as it was taken
    token = await page.evaluate("JSON.parse(sessionStorage.getItem('labour-tracker.token')).value")
    answer = await page.request.get(
        f"{worker.url}/api/v1/birthing-person/", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200
    record = (await answer.json())["birthing_person"]
    assert (record["first_name"], record["last_name"]) == ("Grace", "Hopper")

    # Keycloak's access tokens live five minutes: one about to expire is renewed with the refresh token.
    await page.evaluate(
        """() => {
          const saved = JSON.parse(sessionStorage.getItem('labour-tracker.token'));
          sessionStorage.setItem('labour-tracker.token', JSON.stringify({ ...saved, expires: Date.now() - 1000 }));
        }"""
    )
    await page.reload()
    await expect(page.locator("#plan-summary")).to_contain_text("Nothing planned yet")
    renewed = await page.evaluate("JSON.parse(sessionStorage.getItem('labour-tracker.token'))")
    assert renewed["value"] != token and renewed["expires"] > 0
    await expect(page.get_by_role("button", name="Sign in or create an account")).to_be_hidden()
