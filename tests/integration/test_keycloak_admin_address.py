"""Keycloak's admin console is served only on the admin port, and its public port serves the realm labour-tracker's
sign-in and nothing of the admin: compose's keycloak-proxy (a real nginx with infra/keycloak/proxy.conf) in front
of a real Keycloak, the version compose runs, set up as compose sets it up (hostname, hostname-admin, and the
keycloak-admin-address script). tests/unit/test_compose_security.py holds compose to the same.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest

from labour_tracker.devstack.keycloak import REALM, KeycloakServer
from tests.support.compose import ROOT
from tests.support.keycloak_proxy import KeycloakProxy
from tests.support.servers import new_dir, serving

CONSOLE = "/admin/master/console/"


@dataclass(frozen=True)
class Proxied:
    keycloak: KeycloakServer
    public: str  # what browsers and apps reach: KEYCLOAK_URL
    admin: str  # where operators reach the console: KEYCLOAK_ADMIN_URL


@pytest.fixture(scope="module")
def proxied() -> Iterator[Proxied]:
    keycloak = KeycloakServer(new_dir("keycloak"))
    proxy = KeycloakProxy(new_dir("keycloak-proxy"), upstream_port=keycloak.port)
    public, admin = f"http://127.0.0.1:{proxy.public_port}", f"http://localhost:{proxy.admin_port}"
    keycloak.public_url, keycloak.admin_url = public, admin
    with serving(proxy), serving(keycloak):
        env = {
            **os.environ,
            "KEYCLOAK_HOME": str(keycloak.home),
            "KEYCLOAK_INTERNAL_URL": keycloak.url,
            "KC_HOSTNAME_ADMIN": admin,
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": keycloak.admin_password,
        }
        script = ROOT / "infra" / "keycloak" / "admin-address.sh"
        for _ in range(2):  # compose runs it on every `docker compose up`: again, once the master realm has moved
            subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True, timeout=120)
        yield Proxied(keycloak, public, admin)


@pytest.fixture
async def browser(proxied: Proxied) -> AsyncIterator[aiohttp.ClientSession]:
    """Cookies as a browser keeps them: Keycloak's are Secure, which browsers send to http://localhost too."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[proxied.admin])
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def status(browser: aiohttp.ClientSession, url: str) -> int:
    async with browser.get(url, allow_redirects=False) as answer:
        return answer.status


async def test_the_public_port_serves_the_realms_sign_in_and_nothing_of_the_admin(
    proxied: Proxied, browser: aiohttp.ClientSession
) -> None:
    async with browser.get(f"{proxied.public}/realms/{REALM}/.well-known/openid-configuration") as discovery:
        assert discovery.status == 200
        document = await discovery.json()
    assert document["issuer"] == f"{proxied.public}/realms/{REALM}" == proxied.keycloak.issuer
    async with browser.get(f"{proxied.public}/realms/{REALM}/account") as account:  # its pages and their assets
        assert account.status == 200
    for path in (
        CONSOLE,
        "/admin/",
        f"/admin/realms/{REALM}",
        "/realms/master/.well-known/openid-configuration",
        "/realms/master/protocol/openid-connect/auth",
        "/",
        "/metrics",
        "/health/ready",
    ):
        assert await status(browser, f"{proxied.public}{path}") == 404, path


async def test_the_console_is_served_on_the_admin_port_and_names_only_the_admin_address(
    proxied: Proxied, browser: aiohttp.ClientSession
) -> None:
    async with browser.get(f"{proxied.admin}{CONSOLE}", allow_redirects=False) as page:
        assert page.status == 200
        html = await page.text()
    addresses = dict(re.findall(r'"(serverBaseUrl|adminBaseUrl|authUrl|authServerUrl)"\s*:\s*"([^"]*)"', html))
    assert addresses and set(addresses.values()) == {proxied.admin}, addresses
    assert await status(browser, f"{proxied.admin}/realms/{REALM}/.well-known/openid-configuration") == 404


async def test_an_administrator_signs_in_to_the_console_through_the_admin_port_only(
    proxied: Proxied, browser: aiohttp.ClientSession
) -> None:
    """The console's own sign-in (authorization code with PKCE, as its script does it), every step on the admin
    port; the token it gets opens the admin API there."""
    admin = proxied.admin
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = f"{admin}{CONSOLE}"
    query = urlencode(
        {
            "client_id": "security-admin-console",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    async with browser.get(f"{admin}/realms/master/protocol/openid-connect/auth?{query}") as page:
        assert page.status == 200, await page.text()
        form = re.search(r'<form[^>]*action="([^"]+)"', await page.text())
    assert form, "a sign-in form"
    action = unescape(form[1])
    assert action.startswith(f"{admin}/realms/master/"), action
    password = proxied.keycloak.admin_password
    async with browser.post(action, data={"username": "admin", "password": password}, allow_redirects=False) as back:
        assert back.status == 302, back.status
        location = back.headers["Location"]
    assert location.startswith(redirect_uri), location
    code = parse_qs(urlsplit(location).fragment or urlsplit(location).query)["code"][0]
    async with browser.post(
        f"{admin}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "security-admin-console",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    ) as answer:
        assert answer.status == 200, await answer.text()
        token = (await answer.json())["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    async with browser.get(f"{admin}/admin/realms/{REALM}", headers=bearer) as realm:
        assert realm.status == 200
        assert (await realm.json())["realm"] == REALM
    async with browser.get(f"{proxied.public}/admin/realms/{REALM}", headers=bearer) as refused:
        assert refused.status == 404  # the same token, at the public port: no admin API there
