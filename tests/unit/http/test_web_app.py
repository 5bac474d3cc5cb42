"""The web app at /app/: its pages under a strict Content-Security-Policy, the share link's QR code, and the
development sign-in, which exists only while no issuer is configured."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from labour_tracker.http.server import mount
from labour_tracker.http.web_app import ASSETS, content_security_policy
from labour_tracker.identity.local_key import LocalVerifier, load_or_create_local_key
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeAggregates, FakeCommandBus

Client = TestClient[web.Request, web.Application]
ISSUER = "https://id.example.org/realms/labour-tracker"


async def serving(settings: Settings) -> Client:
    root = web.Application()
    mount(root, settings, FakeCommandBus(), FakeAggregates())
    client = TestClient(TestServer(root))
    await client.start_server()
    return client


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None)


@pytest.fixture
async def app_locally(local: Settings) -> AsyncIterator[Client]:
    client = await serving(local)
    yield client
    await client.close()


@pytest.fixture
async def app_with_issuer(tmp_path: Path) -> AsyncIterator[Client]:
    settings = Settings(
        local_signing_key=tmp_path / "key.pem",
        oidc_issuer=ISSUER,
        subscription_token_secret="a-secret-of-this-deployment-only",
    )
    client = await serving(settings)
    yield client
    await client.close()


@pytest.mark.parametrize("path", ["/app/", "/app/follow", "/app/assets/person.js", "/app/sw.js"])
async def test_the_pages_are_served_to_anyone_under_a_policy_without_inline_script(
    app_locally: Client, path: str
) -> None:
    answer = await app_locally.get(path)

    assert answer.status == 200
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_has_inline_script_or_style() -> None:
    for page in ASSETS.glob("*.html"):
        text = page.read_text()
        assert "<script>" not in text and "<style" not in text and " style=" not in text, page.name
        assert text.count("<script") == text.count('<script type="module" src="/app/assets/'), page.name


def test_the_policy_lets_the_page_reach_the_issuer_and_nothing_else() -> None:
    assert "connect-src 'self';" in content_security_policy(None)
    assert "connect-src 'self' https://id.example.org;" in content_security_policy(ISSUER)


async def test_the_app_address_without_a_slash_leads_to_the_app(app_locally: Client) -> None:
    answer = await app_locally.get("/app", allow_redirects=False)

    assert (answer.status, answer.headers["Location"]) == (302, "/app/")


async def test_the_development_sign_in_gives_a_short_lived_token_the_worker_trusts(
    app_locally: Client, local: Settings
) -> None:
    answer = await app_locally.post("/app/dev-sign-in", json={"name": "Ada Lovelace", "email": "ada@example.org"})

    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = await answer.json()
    assert body["expires_in"] == 7200
    key = load_or_create_local_key(local.local_signing_key)
    user = await LocalVerifier(key.public_key(), local.oidc_audience).verify(body["access_token"])
    assert (user.id, user.first_name, user.last_name, user.email) == (
        "dev-ada-lovelace",
        "Ada",
        "Lovelace",
        "ada@example.org",
    )
    config = await (await app_locally.get("/app/config.json")).json()
    assert config == {"issuer": None, "dev_sign_in": True}


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": 3}, ["Ada"]])
async def test_the_development_sign_in_wants_a_name(app_locally: Client, body: object) -> None:
    answer = await app_locally.post("/app/dev-sign-in", json=body)

    assert answer.status == 400


async def test_with_an_issuer_there_is_no_development_sign_in(app_with_issuer: Client) -> None:
    answer = await app_with_issuer.post("/app/dev-sign-in", json={"name": "Mallory"})

    assert answer.status in {404, 405}
    config = await (await app_with_issuer.get("/app/config.json")).json()
    assert config["dev_sign_in"] is False
    assert config["authorization_endpoint"] == f"{ISSUER}/protocol/openid-connect/auth"
    assert config["client_id"] == "labour-tracker-web"
    page = await app_with_issuer.get("/app/")
    assert "https://id.example.org" in page.headers["Content-Security-Policy"]


async def test_the_share_link_comes_back_as_a_qr_code_in_svg(app_locally: Client) -> None:
    answer = await app_locally.post("/app/qr", json={"text": "https://example.org/app/follow#person=p&token=t"})

    assert answer.status == 200
    assert answer.content_type == "image/svg+xml"
    svg = await answer.text()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "<script" not in svg  # an image file
    too_long = await app_locally.post("/app/qr", json={"text": "x" * 513})
    assert too_long.status == 400


async def test_the_app_installs_from_its_manifest_and_service_worker(app_locally: Client) -> None:
    manifest = await app_locally.get("/app/assets/manifest.webmanifest")
    worker = await app_locally.get("/app/sw.js")

    assert manifest.content_type == "application/manifest+json"
    body = await manifest.json(content_type=None)
    assert (body["start_url"], body["scope"], body["display"]) == ("/app/", "/app/", "standalone")
    for icon in body["icons"]:
        assert (await app_locally.get(icon["src"])).status == 200
    assert worker.content_type in {"text/javascript", "application/javascript"}
    for cached in re.findall(r'"(/app/[^"]*)"', await worker.text()):
        assert (await app_locally.get(cached)).status == 200, cached


def colour_schemes() -> list[dict[str, str]]:
    """The style's colours, light and dark: each `--name: #rrggbb` of :root, then of the dark scheme over it."""
    css = (ASSETS / "style.css").read_text()
    light_block = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    dark_start = css.index("prefers-color-scheme: dark")
    dark_block = css[dark_start : css.index("}", dark_start)]
    light = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", light_block))
    return [light, {**light, **dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", dark_block))}]


def contrast(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Text and the background it is drawn on, as style.css pairs them.
TEXT_ON = [
    ("ink", "paper"),
    ("accent-ink", "accent"),
    ("paper", "running"),
    ("accent", "paper"),
    ("warn", "paper"),
    ("paper", "warn"),
    ("ink", "soft"),
    ("line", "paper"),
]


@pytest.mark.parametrize("scheme", colour_schemes(), ids=["light", "dark"])
def test_text_meets_wcag_aa_contrast_in_both_colour_schemes(scheme: dict[str, str]) -> None:
    for text, background in TEXT_ON:
        ratio = contrast(scheme[text], scheme[background])
        # 4.5:1 for text; the line colour draws borders of controls, which want 3:1.
        assert ratio >= (3.0 if text == "line" else 4.5), (text, background, round(ratio, 2))
