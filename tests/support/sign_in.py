"""Signing in at the issuer as the API page's Swagger UI does, without a browser: the authorization request with a
PKCE challenge, the issuer's login (or sign-up) form followed with a cookie jar, and the code handed back to the page's
redirect URI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # the form's hidden and prefilled inputs


class Page(HTMLParser):
    """The forms (by id) and link targets of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, Form] = {}
        self.links: list[str] = []
        self._form: Form | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = self.forms[found.get("id", "")] = Form(found["action"])
        elif tag == "input" and self._form is not None and found.get("name"):
            self._form.fields[found["name"]] = found.get("value", "")
        elif tag == "a" and "href" in found:
            self.links.append(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@dataclass
class ApiPage:
    """What the API page at `url` tells Swagger UI about signing in: its client, redirect URI and the issuer's flow."""

    client_id: str
    redirect_uri: str
    scopes: list[str]
    authorization_url: str
    token_url: str

    @classmethod
    async def read(cls, browser: aiohttp.ClientSession, url: str) -> ApiPage:
        async with browser.get(f"{url}/docs") as answer:
            assert answer.status == 200
            page = await answer.text()
        options = re.search(r"initOAuth\(\{(.*?)\}\);", page, re.DOTALL)
        redirect = re.search(r'oauth2RedirectUrl: window\.location\.origin \+ "([^"]+)"', page)
        assert options is not None and redirect is not None, "the page offers no sign-in"
        given = {name: json.loads(value) for name, value in re.findall(r"(\w+):\s*(.+?),?\s*$", options[1], re.M)}
        assert given["usePkceWithAuthorizationCodeGrant"] is True
        async with browser.get(f"{url}/api/v1/openapi.json") as answer:
            document = await answer.json()
        flow = document["components"]["securitySchemes"]["signIn"]["flows"]["authorizationCode"]
        return cls(given["clientId"], url + redirect[1], given["scopes"], flow["authorizationUrl"], flow["tokenUrl"])

    def authorization_request(self, challenge: str | None, state: str, *, redirect_uri: str | None = None) -> str:
        """The URL Swagger UI opens: an authorization code request with the S256 challenge (None: without one)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri or self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
        }
        if challenge is not None:
            query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return f"{self.authorization_url}?{urllib.parse.urlencode(query)}"

    async def exchange(
        self, http: aiohttp.ClientSession, code: str, verifier: str | None, *, origin: str
    ) -> tuple[int, dict[str, Any], str | None]:
        """Status, body and CORS allowed origin of the code's exchange as Swagger UI posts it: from the page's origin,
        the verifier and no client secret."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        form |= {"client_id": self.client_id} | ({"code_verifier": verifier} if verifier is not None else {})
        async with http.post(self.token_url, data=form, headers={"Origin": origin}) as answer:
            return answer.status, await answer.json(), answer.headers.get("Access-Control-Allow-Origin")


def browser_session(issuer_origin: str) -> aiohttp.ClientSession:
    """A client keeping the issuer's cookies as a browser does (loopback counts as a secure origin), redirects left to
    the caller."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[issuer_origin])
    return aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30))


async def submit(browser: aiohttp.ClientSession, form: Form, values: dict[str, str]) -> tuple[int, str, str]:
    """Post the form as a browser would; status, Location and page of the answer, redirects not followed."""
    async with browser.post(form.action, data=form.fields | values, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


def code_from(location: str, page: ApiPage, state: str) -> str:
    """The code in the issuer's redirect back to the API page, checked to come to the page with the state sent."""
    target, _, query = location.partition("?")
    assert target == page.redirect_uri, location
    given = urllib.parse.parse_qs(query)
    assert given["state"] == [state], location
    return given["code"][0]


async def sign_in(
    browser: aiohttp.ClientSession, page: ApiPage, challenge: str, state: str, username: str, password: str
) -> str:
    """The code the issuer hands the API page: its login form filled in, or at once while its session lasts."""
    async with browser.get(page.authorization_request(challenge, state), allow_redirects=False) as answer:
        if answer.status == 302:
            return code_from(answer.headers["Location"], page, state)
        assert answer.status == 200, answer.status
        login = Page(await answer.text()).forms["kc-form-login"]
    status, location, _ = await submit(browser, login, {"username": username, "password": password})
    assert status == 302, status
    return code_from(location, page, state)
