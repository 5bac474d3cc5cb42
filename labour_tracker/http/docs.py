"""Swagger UI at /docs, served from the swagger-ui-py package's files: no CDN."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from aiohttp import web

STATIC = Path(swagger_ui.__file__).parent / "static"

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
      persistAuthorization: true
    });
  </script>
</body>
</html>
"""


async def swagger_page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


DOCS_PREFIX = "/docs"


def add_docs(root: web.Application) -> None:
    root.router.add_get(DOCS_PREFIX, swagger_page)
    root.router.add_static(f"{DOCS_PREFIX}/static", STATIC)
