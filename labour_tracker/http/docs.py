"""Swagger UI at /docs, served from the swagger-ui-py package's files: no CDN."""

from __future__ import annotations

import json
from pathlib import Path

import swagger_ui
from aiohttp import web

from labour_tracker.http.openapi import SIGN_IN_SCOPES

STATIC = Path(swagger_ui.__file__).parent / "static"
DOCS_PREFIX = "/docs"
# Where the issuer sends the browser back after sign-in: Swagger UI's own page, which hands the code to the opener.
OAUTH2_REDIRECT = f"{DOCS_PREFIX}/oauth2-redirect.html"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Labour Tracker API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true%(sign_in_options)s
    });%(sign_in)s
  </script>
</body>
</html>
"""

# The redirect page's address is the origin the browser sees (a proxy's, in production) and the page's own path.
SIGN_IN_OPTIONS = """,
      oauth2RedirectUrl: window.location.origin + "%(redirect)s\""""

SIGN_IN = """
    window.ui.initOAuth({
      clientId: %(client_id)s,
      usePkceWithAuthorizationCodeGrant: true,
      scopes: %(scopes)s
    });"""


def _script_value(value: object) -> str:
    """JSON for a value inside a <script> element: `</` could end the element."""
    return json.dumps(value).replace("</", "<\\/")


def page(client_id: str | None) -> str:
    """The page; with `client_id` (an issuer is configured), Authorize signs in at the issuer with that client."""
    if client_id is None:
        return PAGE % {"sign_in_options": "", "sign_in": ""}
    return PAGE % {
        "sign_in_options": SIGN_IN_OPTIONS % {"redirect": OAUTH2_REDIRECT},
        "sign_in": SIGN_IN % {"client_id": _script_value(client_id), "scopes": _script_value(list(SIGN_IN_SCOPES))},
    }


async def oauth2_redirect_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "oauth2-redirect.html")


def add_docs(root: web.Application, client_id: str | None = None) -> None:
    """Serve the page at /docs; `client_id` is the issuer's public client it signs in with, None without an issuer."""
    text = page(client_id)

    async def swagger_page(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    root.router.add_get(DOCS_PREFIX, swagger_page)
    root.router.add_get(OAUTH2_REDIRECT, oauth2_redirect_page)
    root.router.add_static(f"{DOCS_PREFIX}/static", STATIC)
