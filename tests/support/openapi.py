"""The OpenAPI document a worker serves, and checking answers against the schemas it documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import aiohttp
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import Response

DOCUMENT_URI = "urn:labour-tracker:openapi"
PREFIX = "/api/v1"


async def fetch(http: aiohttp.ClientSession, url: str) -> tuple[int, str, bytes]:
    async with http.get(url) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.read()


async def openapi_document(http: aiohttp.ClientSession, worker: WorkerProcess) -> dict[str, Any]:
    status, content_type, body = await fetch(http, f"{worker.url}{PREFIX}/openapi.json")
    assert status == 200
    assert content_type.startswith("application/json")
    document: dict[str, Any] = json.loads(body)
    return document


def pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def strict(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every component object schema closed: a response may carry no undocumented field."""
    closed = copy.deepcopy(document)

    def close(schema: Any) -> None:
        if isinstance(schema, dict):
            if "properties" in schema and "additionalProperties" not in schema:
                schema["additionalProperties"] = False
            for value in schema.values():
                close(value)
        elif isinstance(schema, list):
            for value in schema:
                close(value)

    close(closed["components"]["schemas"])
    return closed


class Schemas:
    """Validates instances against schemas of the document, `$ref`s resolved within it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)

    def errors(self, ref: str, instance: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(
            {"$ref": DOCUMENT_URI + ref},
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]

    def response(self, path: str, method: str, answer: Response) -> None:
        """`answer` has a status documented for the operation, and its body matches that status's schema."""
        responses = self.document["paths"][path][method.lower()]["responses"]
        assert str(answer.status) in responses, f"{method} {path} answered an undocumented {answer.status}"
        assert answer.headers["Content-Type"].startswith("application/json")
        where = pointer("paths", path, method.lower(), "responses", str(answer.status), "content", "application/json")
        problems = self.errors(where + "/schema", answer.body)
        assert problems == [], f"{method} {path} {answer.status}: {problems}\n{json.dumps(answer.body, indent=1)}"
