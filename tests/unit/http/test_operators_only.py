"""The worker's own pages (Faust's introspection) answer an operator's token only; the API and its docs keep their
own rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from labour_tracker.http.server import mount
from labour_tracker.identity.claims import OPERATOR_ROLE
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeAggregates, FakeCommandBus

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None)


def bearer(settings: Settings, *roles: str) -> dict[str, str]:
    key = load_or_create_local_key(settings.local_signing_key)
    token = issue_local_token(
        key, audience=settings.oidc_audience, sub="someone", given_name="S", family_name="O", roles=roles
    )
    return {"Authorization": f"Bearer {token}"}


async def faust_page(request: web.Request) -> web.Response:
    return web.json_response({"page": request.path})


@pytest.fixture
async def worker_web(settings: Settings) -> AsyncIterator[Client]:
    root = web.Application()
    root.router.add_get("/router/", faust_page)  # as Faust serves its own pages on the worker's web server
    root.router.add_get("/table/{name}/{key}/", faust_page)
    mount(root, settings, FakeCommandBus(), FakeAggregates())
    client = TestClient(TestServer(root))
    await client.start_server()
    yield client
    await client.close()


@pytest.mark.parametrize("path", ["/router/", "/table/notifications/n-1/", "/nowhere"])
async def test_the_worker_pages_want_an_operators_token(worker_web: Client, settings: Settings, path: str) -> None:
    anyone = await worker_web.get(path)
    user = await worker_web.get(path, headers=bearer(settings))
    operator = await worker_web.get(path, headers=bearer(settings, OPERATOR_ROLE))

    assert (anyone.status, (await anyone.json())["code"]) == (401, "unauthenticated")
    assert (user.status, (await user.json())["code"]) == (403, "operators_only")
    assert operator.status == (404 if path == "/nowhere" else 200)


async def test_the_api_and_its_docs_keep_their_own_rules(worker_web: Client, settings: Settings) -> None:
    assert (await worker_web.get("/api/v1/health")).status == 200  # public
    assert (await worker_web.get("/docs")).status == 200  # public
    assert (await worker_web.get("/api/v1/birthing-person/")).status == 401
    assert (await worker_web.get("/api/v1/birthing-person/", headers=bearer(settings))).status == 404  # a user's


@pytest.mark.parametrize(("path", "status"), [("/api/v1", 404), ("/docs/static/none.js", 404), ("/api/v1x", 403)])
async def test_the_api_prefix_itself_is_the_apis_and_a_look_alike_is_not(
    worker_web: Client, settings: Settings, path: str, status: int
) -> None:
    assert (await worker_web.get(path, headers=bearer(settings))).status == status
