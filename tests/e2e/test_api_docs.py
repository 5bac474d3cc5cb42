"""The API documents itself truthfully: a valid OpenAPI 3.1 document of every route, Swagger UI without any CDN,
and real responses of the worker that match the documented schemas."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import aiohttp
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.http.routes import ROUTES
from tests.support.api import Caller, MakeCaller, Response, iso
from tests.support.openapi import PREFIX, Schemas, fetch, openapi_document, pointer, strict


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                yield path, method, operation


def concrete(path: str, value: str = "someone-unknown") -> str:
    """A documented path template with every `{parameter}` filled in."""
    return re.sub(r"\{[^}/]+\}", value, path)


def walk(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from walk(child)


# --- The document -------------------------------------------------------------------------------------------------


async def test_openapi_json_is_a_valid_openapi_3_1_document(http: aiohttp.ClientSession, worker: WorkerProcess) -> None:
    document = await openapi_document(http, worker)
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["servers"] == [{"url": PREFIX}]


async def test_every_ref_in_the_document_resolves(http: aiohttp.ClientSession, worker: WorkerProcess) -> None:
    document = await openapi_document(http, worker)
    refs = {node["$ref"] for node in walk(document) if isinstance(node, dict) and "$ref" in node}
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        assert isinstance(target, dict), ref


async def test_every_route_of_the_router_is_documented_and_nothing_else(
    http: aiohttp.ClientSession, worker: WorkerProcess
) -> None:
    document = await openapi_document(http, worker)
    documented = {(path, method) for path, method, _ in operations(document)}
    assert documented == {(route.path, route.method.lower()) for route in ROUTES} | {("/openapi.json", "get")}
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        success = operation["responses"][str(route.status)]
        if route.response is not None:
            assert success["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{route.response.__name__}"
            }
        assert ("requestBody" in operation) is (route.body is not None or route.form is not None), route.path
        idempotency = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert bool(idempotency) is route.command, route.path
        for status in route.statuses:
            assert str(status) in operation["responses"], (route.path, status)


async def test_every_documented_operation_exists_on_the_worker(
    http: aiohttp.ClientSession, worker: WorkerProcess, person: MakeCaller
) -> None:
    document = await openapi_document(http, worker)
    stranger = person()  # unregistered: commands are refused by the domain, never by the router
    for path, method, _ in operations(document):
        answer = await stranger.call(method.upper(), concrete(path), {} if method in {"post", "put"} else None)
        assert answer.status != 405, (method, path)
        assert not (answer.status == 404 and answer.body["code"] == "not_found"), (method, path, answer.body)
        assert answer.status < 500, (method, path, answer.body)


async def test_a_bearer_token_secures_everything_but_health_readiness_metrics_the_document_callbacks_and_streams(
    http: aiohttp.ClientSession, worker: WorkerProcess
) -> None:
    document = await openapi_document(http, worker)
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme["type"] == "http" and scheme["scheme"] == "bearer"]
    assert len(bearer) == 1
    assert document["security"] == [{bearer[0]: []}]
    public = {route.path for route in ROUTES if route.public} | {"/openapi.json"}
    signed = {"/twilio/status"}  # Twilio signs its callback (X-Twilio-Signature) instead of sending a token
    # A live stream opens with a ticket (an EventSource sends no token), its snapshot with another worker's pass.
    ticketed = {"/live/birthing-person/{birthing_person_id}", "/live/birthing-person/{birthing_person_id}/snapshot"}
    assert public == {"/health", "/ready", "/metrics", "/openapi.json"} | signed | ticketed
    for path, method, operation in operations(document):
        status = await status_without_token(http, f"{worker.url}{PREFIX}{concrete(path)}", method.upper())
        if path in ticketed:
            assert operation["security"] == []
            assert status == 401, (method, path)  # no ticket, no pass
        elif path in signed:
            assert operation["security"] == []
            assert status in (403, 415), (method, path)  # unsigned: refused, never taken
        elif path in public:
            assert operation["security"] == []
            assert status == 200, (method, path)
        else:
            assert "security" not in operation or operation["security"] == [{bearer[0]: []}], path
            assert "401" in operation["responses"], path
            assert status == 401, (method, path)


async def status_without_token(http: aiohttp.ClientSession, url: str, method: str) -> int:
    """The status of a call without a token, once the worker's live feed follows (until then a stream is 503)."""
    for _ in range(100):
        async with http.request(method, url) as answer:
            if answer.status != 503:
                return answer.status
        await asyncio.sleep(0.1)
    return 503


# --- Swagger UI ---------------------------------------------------------------------------------------------------


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[tuple[str, str]] = []  # (rel, href)
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
        elif tag == "link" and attributes.get("href"):
            self.links.append((attributes.get("rel") or "", attributes["href"] or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def off_site(url: str) -> bool:
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", url.strip(), re.IGNORECASE))


async def test_the_docs_page_loads_only_same_origin_scripts_and_styles(
    http: aiohttp.ClientSession, worker: WorkerProcess
) -> None:
    status, content_type, body = await fetch(http, f"{worker.url}/docs")
    assert (status, content_type.split(";")[0]) == (200, "text/html")
    page = Assets()
    page.feed(body.decode())
    stylesheets = [href for rel, href in page.links if "stylesheet" in rel.split()]
    assert page.scripts and stylesheets
    assert [url for url in page.scripts + [href for _, href in page.links] if off_site(url)] == []
    assert [script for script in page.inline if re.search(r"https?:|//[a-z]", script, re.IGNORECASE)] == []

    for url, kinds in [(src, ("application/javascript", "text/javascript")) for src in page.scripts] + [
        (href, ("text/css",)) for href in stylesheets
    ]:
        status, content_type, asset = await fetch(http, f"{worker.url}{url}")
        assert status == 200, url
        assert content_type.split(";")[0] in kinds, (url, content_type)
        assert asset, url
    for _, href in page.links:
        assert (await fetch(http, f"{worker.url}{href}"))[0] == 200, href

    spec_urls = [url for script in page.inline for url in re.findall(r"url:\s*\"([^\"]+)\"", script)]
    assert spec_urls == [f"{PREFIX}/openapi.json"]


# --- Responses match the document ---------------------------------------------------------------------------------


async def test_real_responses_match_the_documented_schemas(
    http: aiohttp.ClientSession, worker: WorkerProcess, person: MakeCaller
) -> None:
    schemas = Schemas(strict(await openapi_document(http, worker)))
    alice: Caller = person("Alice", "Smith")

    async def check(method: str, path: str, body: Any = None, expected: int = 200) -> Response:
        answer = await alice.call(method, path, body)
        assert answer.status == expected, answer.body
        schemas.response(path, method, answer)
        return answer

    began = datetime.now(UTC) - timedelta(hours=1)
    await check("GET", "/birthing-person/", expected=404)
    await check("POST", "/birthing-person/register", expected=201)
    await check("POST", "/birthing-person/register", expected=409)
    await check("GET", "/labour/active", expected=404)
    await check("POST", "/labour/begin", {"first_labour": True, "start_time": iso(began)})
    for minute in (10, 20):
        start = began + timedelta(minutes=minute)
        await check("POST", "/labour/contraction/start", {"start_time": iso(start), "intensity": 6, "notes": "ouch"})
        await check("PUT", "/labour/contraction/end", {"end_time": iso(start + timedelta(seconds=70)), "intensity": 7})
    await check("POST", "/labour/contraction/start", {"intensity": 4})
    await check("GET", "/labour/active/summary")
    await check("GET", "/labour/active")
    await check("GET", "/birthing-person/")
    await check("GET", "/birthing-person/subscription-token")
    await check("POST", "/birthing-person/subscription-token/rotate")
    await check("PUT", "/labour/complete", {}, expected=400)
    await check("PUT", "/labour/contraction/end", {"intensity": 0}, expected=422)
    await check("PUT", "/labour/contraction/end", {"intensity": "high"}, expected=422)  # validation: with details
    await check("PUT", "/labour/contraction/end", {"intensity": 5})
    await check("PUT", "/labour/complete", {"notes": "done"})
    await check("GET", "/labour/active/summary", expected=404)
    await check("GET", "/birthing-person/")

    for path in ("/health", "/ready"):
        async with http.get(f"{worker.url}{PREFIX}{path}") as answer:
            schemas.response(path, "GET", Response(answer.status, await answer.json(), answer.headers))
    async with http.get(f"{worker.url}{PREFIX}/labour/active") as answer:
        schemas.response("/labour/active", "GET", Response(answer.status, await answer.json(), answer.headers))


async def test_the_documented_request_schemas_accept_and_refuse_what_the_worker_does(
    http: aiohttp.ClientSession, worker: WorkerProcess
) -> None:
    schemas = Schemas(await openapi_document(http, worker))
    begin = pointer("paths", "/labour/begin", "post", "requestBody", "content", "application/json") + "/schema"
    aware, naive = "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00"
    assert schemas.errors(begin, {"first_labour": True, "start_time": aware, "command_id": "tap-1"}) == []
    assert schemas.errors(begin, {"first_labour": True, "colour": "red"})
    assert schemas.errors(begin, {"start_time": aware}) == []  # first_labour from the plan (or refused without one)
    assert schemas.errors(begin, {"first_labour": "perhaps"})
    assert schemas.errors(begin, {"first_labour": True, "start_time": naive})
    plan = pointer("paths", "/labour/plan", "post", "requestBody", "content", "application/json") + "/schema"
    assert schemas.errors(plan, {"due_date": "2024-05-01", "first_labour": True, "name": "Pip"}) == []
    assert schemas.errors(plan, {"first_labour": True})
    assert schemas.errors(plan, {"due_date": "2024-05-01", "first_labour": True, "name": "x" * 101})
    assert schemas.errors(plan, {"due_date": aware, "first_labour": True})
    start = pointer("paths", "/labour/contraction/start", "post", "requestBody", "content", "application/json")
    assert schemas.errors(start + "/schema", {"intensity": 10, "notes": "x"}) == []
    assert schemas.errors(start + "/schema", {"intensity": 11})


async def test_a_body_too_large_answer_is_documented_for_every_command_with_a_body(
    http: aiohttp.ClientSession, worker: WorkerProcess, person: MakeCaller
) -> None:
    schemas = Schemas(await openapi_document(http, worker))
    alice = person()
    too_big = b'{"notes": "' + b"x" * (64 * 1024) + b'"}'
    for route in (route for route in ROUTES if route.body is not None):
        answer = await alice.call(
            route.method, concrete(route.path), data=too_big, headers={"Content-Type": "application/json"}
        )
        assert answer.status == 413
        schemas.response(route.path, route.method, answer)
