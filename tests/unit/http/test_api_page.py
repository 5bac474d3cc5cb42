"""The API page gets its tokens as the deployment does: with an issuer, Authorize signs in there (authorization code
with PKCE) beside a pasted bearer token; locally, the page says how to print a token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import ValidationError

from labour_tracker.http.openapi import document
from labour_tracker.http.server import mount
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeAggregates, FakeCommandBus

Client = TestClient[web.Request, web.Application]
ISSUER = "https://id.example.org/realms/labour-tracker"


def local_settings(tmp_path: Path) -> Settings:
    return Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None)


def issuer_settings(tmp_path: Path, **more: Any) -> Settings:
    return Settings(
        local_signing_key=tmp_path / "key.pem", oidc_issuer=ISSUER, subscription_token_secret="s" * 32, **more
    )


@pytest.fixture
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Client]:
    """The worker's web server with the API and its docs mounted, for the settings the test is parametrised with."""
    root = web.Application()
    mount(root, request.param(tmp_path), FakeCommandBus(), FakeAggregates())
    client = TestClient(TestServer(root))
    await client.start_server()
    yield client
    await client.close()


def test_without_an_issuer_the_document_takes_a_pasted_token_and_says_how_to_print_one() -> None:
    openapi = document("/api/v1", issuer=None)
    validate(openapi, cls=OpenAPIV31SpecValidator)

    schemes = openapi["components"]["securitySchemes"]
    assert set(schemes) == {"bearerAuth"}
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert openapi["security"] == [{"bearerAuth": []}]
    for description in (schemes["bearerAuth"]["description"], openapi["info"]["description"]):
        assert "`labour-tracker token --sub " in description


def test_with_an_issuer_the_document_signs_in_there_with_the_authorization_code_flow_beside_a_pasted_token() -> None:
    openapi = document("/api/v1", issuer=ISSUER + "/")
    validate(openapi, cls=OpenAPIV31SpecValidator)

    schemes = openapi["components"]["securitySchemes"]
    assert set(schemes) == {"bearerAuth", "signIn"}
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert schemes["signIn"]["type"] == "oauth2"
    assert list(schemes["signIn"]["flows"]) == ["authorizationCode"]
    flow = schemes["signIn"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{ISSUER}/protocol/openid-connect/auth"
    assert flow["tokenUrl"] == f"{ISSUER}/protocol/openid-connect/token"
    assert "openid" in flow["scopes"]
    # Either one authorizes a call: the sign-in, or a token pasted as before.
    assert openapi["security"] == [{"bearerAuth": []}, {"signIn": []}]
    assert "labour-tracker token" not in openapi["info"]["description"]
    assert ISSUER in openapi["info"]["description"]
    public = document("/api/v1", issuer=ISSUER)["paths"]["/health"]["get"]
    assert public["security"] == []


def init_oauth(page: str) -> dict[str, str] | None:
    """The options the page passes to Swagger UI's initOAuth, as written; None when it does not call it."""
    found = re.search(r"initOAuth\(\{(.*?)\}\);", page, re.DOTALL)
    if found is None:
        return None
    return dict(re.findall(r"(\w+):\s*(.+?),?\s*$", found[1], re.MULTILINE))


@pytest.mark.parametrize("served", [local_settings], indirect=True)
async def test_without_an_issuer_the_page_does_not_offer_a_sign_in(served: Client) -> None:
    answer = await served.get("/docs")
    page = await answer.text()
    assert answer.status == 200 and "SwaggerUIBundle(" in page
    assert init_oauth(page) is None and "oauth2RedirectUrl" not in page
    openapi = await (await served.get("/api/v1/openapi.json")).json()
    assert set(openapi["components"]["securitySchemes"]) == {"bearerAuth"}


@pytest.mark.parametrize("served", [issuer_settings], indirect=True)
async def test_with_an_issuer_the_page_signs_in_with_the_configured_client_and_pkce(served: Client) -> None:
    answer = await served.get("/docs")
    page = await answer.text()
    assert answer.status == 200
    assert init_oauth(page) == {
        "clientId": '"labour-tracker-web"',
        "usePkceWithAuthorizationCodeGrant": "true",
        "scopes": '["openid", "profile", "email"]',
    }
    assert 'oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect.html"' in page
    openapi = await (await served.get("/api/v1/openapi.json")).json()
    flow = openapi["components"]["securitySchemes"]["signIn"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{ISSUER}/protocol/openid-connect/auth"


@pytest.mark.parametrize(
    "served", [lambda tmp_path: issuer_settings(tmp_path, docs_client_id="labour-tracker")], indirect=True
)
async def test_the_page_signs_in_with_the_client_its_setting_names(served: Client) -> None:
    options = init_oauth(await (await served.get("/docs")).text())
    assert options is not None and options["clientId"] == '"labour-tracker"'


@pytest.mark.parametrize("served", [local_settings, issuer_settings], indirect=True)
async def test_the_sign_in_redirect_page_is_served_from_the_packaged_swagger_ui(served: Client) -> None:
    answer = await served.get("/docs/oauth2-redirect.html")
    assert (answer.status, answer.content_type) == (200, "text/html")
    # Swagger UI's own page: it hands the code or error back to the page that opened the sign-in.
    assert "window.opener.swaggerUIRedirectOauth2" in await answer.text()


def test_the_pages_client_must_be_one_whose_tokens_the_service_accepts(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DOCS_CLIENT_ID 'swagger' is not among LABOUR_TRACKER_OIDC_CLIENTS"):
        issuer_settings(tmp_path, docs_client_id="swagger")
    assert issuer_settings(tmp_path, docs_client_id="swagger", oidc_clients="swagger,labour-tracker").docs_client_id
    # Any client's tokens accepted, or no issuer at all: nothing to hold the page's client to.
    assert issuer_settings(tmp_path, docs_client_id="swagger", oidc_clients="").docs_client_id == "swagger"
    assert Settings(docs_client_id="swagger", oidc_issuer=None).docs_client_id == "swagger"


def test_a_client_id_that_could_break_out_of_the_pages_script_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="docs_client_id"):
        issuer_settings(tmp_path, docs_client_id='web"</script><script>alert(1)//', oidc_clients="")
