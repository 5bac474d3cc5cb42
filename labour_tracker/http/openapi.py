"""The OpenAPI 3.1 document of /api/v1, generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from labour_tracker.http.export_formats import FORMATS
from labour_tracker.http.routes import ROUTES, Route
from labour_tracker.http.schemas import ErrorResponse

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: it goes on in the background",
    204: "Done: nothing to return",
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Invalid body or value",
    415: "Unsupported media type",
    429: "Too many lately (commands, labours begun, failed attempts): wait for Retry-After",
    503: "Unavailable: try again shortly",
    504: "No reply in time: retry with the same Idempotency-Key",
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Client-chosen command id: a retry with the same key is applied once and answered the same; "
    "the same key with another body is refused (422 `idempotency_key_reused`).",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
}

RETRY_AFTER = {
    "description": "Whole seconds until the next attempt can be accepted.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "required": False, "description": "Rows per page (default 20).",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "after", "in": "query", "required": False, "description": "The `next` value of the previous page.",
     "schema": {"type": "string", "minLength": 1}},
]  # fmt: skip


FORMAT_PARAMETER = {
    "name": "format", "in": "query", "required": True, "description": "The file's format: "
    + ", ".join(f"`{name}` ({each.media_type})" for name, each in FORMATS.items()) + ".",
    "schema": {"type": "string", "enum": list(FORMATS)},
}  # fmt: skip

CONTENT_DISPOSITION = {
    "description": "`attachment`, with a file name made of the record's id and the format's extension.",
    "required": True,
    "schema": {"type": "string", "pattern": '^attachment; filename="[A-Za-z0-9_.-]+"$'},
}


# What the API page asks the issuer for: the names and email address the API registers a person with.
SIGN_IN_SCOPES = {"openid": "Sign in with OpenID Connect.", "profile": "Your names.", "email": "Your email address."}

LOCAL_TOKEN_HELP = (
    "No OpenID Connect issuer is configured (local use): the worker trusts its local signing key. Print a token "
    "with `labour-tracker token --sub alice --given-name Alice --family-name Smith --phone +447700900123` "
    "(`--operator` for an operator's), then paste it under *Authorize* → `bearerAuth`."
)


def _issuer_token_help(issuer: str) -> str:
    return (
        f"Tokens come from the issuer {issuer}: under *Authorize*, `signIn` signs you in (or up) there and back "
        "(authorization code with PKCE); or paste an access token of one of the service's clients under `bearerAuth`."
    )


def security_schemes(issuer: str | None) -> dict[str, Any]:
    """A pasted bearer token always; with an issuer, also sign-in at the issuer (Keycloak's endpoint paths)."""
    bearer = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    if issuer is None:
        return {"bearerAuth": bearer | {"description": LOCAL_TOKEN_HELP}}
    endpoints = f"{issuer.rstrip('/')}/protocol/openid-connect"
    flow = {"authorizationUrl": f"{endpoints}/auth", "tokenUrl": f"{endpoints}/token", "scopes": SIGN_IN_SCOPES}
    return {
        "bearerAuth": bearer | {"description": "An access token of the issuer, pasted as it is."},
        "signIn": {
            "type": "oauth2",
            "description": "Sign in, or register, at the issuer: authorization code with PKCE, no client secret.",
            "flows": {"authorizationCode": flow},
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _download(model: type[BaseModel]) -> dict[str, Any]:
    """A download's answer: each format's media type; JSON's has the model's schema, any other is text."""
    return {
        "content": {
            each.media_type: {"schema": _ref(model) if each.media_type == "application/json" else {"type": "string"}}
            for each in FORMATS.values()
        },
        "headers": {"Content-Disposition": CONTENT_DISPOSITION},
    }


def _success(route: Route) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": STATUS_TEXT[route.status]}
    if route.response and route.download:
        return answer | _download(route.response)
    if route.stream:
        events = {"schema": {"type": "string", "description": route.stream}}
        return answer | {"description": f"{answer['description']}: {route.stream}", "content": {
            "text/event-stream": events}}  # fmt: skip
    return answer | ({"content": _json(route.response)} if route.response else {})


def _described(status: int, codes: list[tuple[str, str]]) -> str:
    """The status's text, then each limit's code that answers with it."""
    return "; ".join([STATUS_TEXT[status], *(f"`{code}`: {meaning}" for code, meaning in codes)])


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": route.operation,
        "responses": {
            str(route.status): _success(route),
            **{
                str(status): {
                    "description": _described(status, route.codes.get(status, [])),
                    "content": _json(ErrorResponse),
                }
                | ({"headers": {"Retry-After": RETRY_AFTER}} if status == 429 else {})
                for status in route.statuses
            },
        },
    }
    if route.not_ready:
        operation["responses"]["503"] = {"description": "Not ready: each check says which", "content": _json(
            route.not_ready)}  # fmt: skip
    if route.public:
        operation["security"] = []
    parameters = [_path_parameter(name) for name in re.findall(r"\{(\w+)\}", route.path)]
    parameters += [IDEMPOTENCY_KEY] if route.command else []
    parameters += PAGE_PARAMETERS if route.paged else []
    parameters += [FORMAT_PARAMETER] if route.download else []
    parameters += list(route.parameters)
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        operation["requestBody"] = {"required": not route.body_optional, "content": _json(route.body)}
    if route.form:
        form = {"schema": {"$ref": f"#/components/schemas/{route.form.__name__}"}}
        operation["requestBody"] = {"required": True, "content": {"application/x-www-form-urlencoded": form}}
    return operation


def document(server_prefix: str = "/api/v1", issuer: str | None = None) -> dict[str, Any]:
    """The document; `issuer` (the OpenID Connect issuer, None locally) decides how the API page gets tokens."""
    models = {model for route in ROUTES for model in (route.body, route.response, route.form) if model}
    models |= {ErrorResponse}
    _, schemas = models_json_schema(
        [(model, "validation" if model is not None and any(model is r.body for r in ROUTES) else "serialization")
         for model in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )  # fmt: skip
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    paths["/openapi.json"] = {
        "get": {"summary": "This document.", "tags": ["operations"], "security": [],
                "responses": {"200": {"description": "OK"}}}
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Labour Tracker API",
            "version": "1",
            "description": "Track labour; tell the people who matter. Errors are `{description, code}`.\n\n"
            + (LOCAL_TOKEN_HELP if issuer is None else _issuer_token_help(issuer)),
        },
        "servers": [{"url": server_prefix}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": security_schemes(issuer),
        },
        "security": [{"bearerAuth": []}] + ([] if issuer is None else [{"signIn": []}]),
    }
