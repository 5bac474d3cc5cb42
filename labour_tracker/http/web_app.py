"""The web app at /app/: static pages and ES modules from `http/app/`, its settings, a QR code of the share link,
and, without an issuer only, a development sign-in with the local key."""

from __future__ import annotations

import io
import json
import mimetypes
import re
from datetime import timedelta
from pathlib import Path

import segno
from aiohttp import web

from labour_tracker.http.routes import Handler
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key
from labour_tracker.settings import Settings

APP_PREFIX = "/app"
ASSETS = Path(__file__).parent / "app"
DEV_SIGN_IN = f"{APP_PREFIX}/dev-sign-in"
DEV_TOKEN_LIFETIME = timedelta(hours=2)
MAX_QR_TEXT = 512
# Nothing inline, nothing from elsewhere but the issuer the browser exchanges its sign-in code with.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; manifest-src 'self'; "
    "worker-src 'self'; connect-src 'self'%s; base-uri 'none'; form-action 'self'%s; frame-ancestors 'none'"
)
NAME_PART = re.compile(r"[^a-z0-9]+")
mimetypes.add_type("application/manifest+json", ".webmanifest")  # the standard's type, unknown to older tables


def content_security_policy(issuer: str | None) -> str:
    origin = ""
    if issuer:
        scheme, _, rest = issuer.partition("://")
        origin = f" {scheme}://{rest.split('/', 1)[0]}"
    return CSP % (origin, origin)


def app_config(settings: Settings) -> dict[str, object]:
    """What the pages need to sign in: the issuer's endpoints and public client, or the development sign-in."""
    if settings.oidc_issuer is None:
        return {"issuer": None, "dev_sign_in": True}
    endpoints = f"{settings.oidc_issuer.rstrip('/')}/protocol/openid-connect"
    return {
        "issuer": settings.oidc_issuer,
        "authorization_endpoint": f"{endpoints}/auth",
        "token_endpoint": f"{endpoints}/token",
        "client_id": settings.docs_client_id,
        "dev_sign_in": False,
    }


def _bad_request(description: str, code: str = "invalid_request") -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"description": description, "code": code}), content_type="application/json"
    )


async def _json_object(request: web.Request) -> dict[str, object]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad_request("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad_request("the body must be a JSON object")
    return body


def _text(body: dict[str, object], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad_request(f"`{name}` must be text of at most {limit} characters")
    return value.strip() or None


def dev_sign_in(settings: Settings) -> Handler:
    """A short-lived local token for a name typed in: development only, never registered with an issuer."""

    async def sign_in(request: web.Request) -> web.Response:
        body = await _json_object(request)
        key = load_or_create_local_key(settings.local_signing_key)  # read on use: the worker's CLI mounts this too
        name = _text(body, "name", 100)
        if name is None:
            raise _bad_request("`name` is required")
        given, _, family = name.partition(" ")
        subject = "dev-" + NAME_PART.sub("-", name.lower()).strip("-")
        token = issue_local_token(
            key,
            audience=settings.oidc_audience,
            sub=subject[:64] or "dev-someone",
            given_name=given,
            family_name=family.strip() or "-",
            email=_text(body, "email", 254),
            phone_number=_text(body, "phone", 20),
            lifetime=DEV_TOKEN_LIFETIME,
        )
        return web.json_response(
            {"access_token": token, "expires_in": int(DEV_TOKEN_LIFETIME.total_seconds())},
            headers={"Cache-Control": "no-store"},
        )

    return sign_in


async def share_qr(request: web.Request) -> web.Response:
    """The QR code of a share link, as SVG: posted, so the link's token stays out of addresses and logs."""
    text = _text(await _json_object(request), "text", MAX_QR_TEXT)
    if text is None:
        raise _bad_request("`text` is required")
    svg = io.BytesIO()
    segno.make(text, error="m").save(svg, kind="svg", scale=6, border=2, dark="#000", light="#fff", xmldecl=False)
    return web.Response(body=svg.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def add_web_app(root: web.Application, settings: Settings) -> None:
    """Serve the app at /app/ on `root`; the development sign-in only when no issuer is configured."""
    policy = content_security_policy(settings.oidc_issuer)
    config = app_config(settings)

    @web.middleware
    async def secure_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.path == APP_PREFIX or request.path.startswith(APP_PREFIX + "/"):
            response.headers["Content-Security-Policy"] = policy
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(name: str) -> Handler:
        async def serve(request: web.Request) -> web.FileResponse:
            return web.FileResponse(ASSETS / name, headers={"Cache-Control": "no-cache"})

        return serve

    async def to_app(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{APP_PREFIX}/")

    async def configuration(request: web.Request) -> web.Response:
        return web.json_response(config, headers={"Cache-Control": "no-cache"})

    root.middlewares.append(secure_headers)
    root.router.add_get(APP_PREFIX, to_app)
    root.router.add_get(f"{APP_PREFIX}/", page("index.html"))
    root.router.add_get(f"{APP_PREFIX}/follow", page("follow.html"))
    # The service worker is served from /app/ so that its scope is the whole app.
    root.router.add_get(f"{APP_PREFIX}/sw.js", page("sw.js"))
    root.router.add_get(f"{APP_PREFIX}/config.json", configuration)
    root.router.add_post(f"{APP_PREFIX}/qr", share_qr)
    if settings.oidc_issuer is None:
        root.router.add_post(DEV_SIGN_IN, dev_sign_in(settings))
    root.router.add_static(f"{APP_PREFIX}/assets", ASSETS)
