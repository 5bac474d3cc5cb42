"""What fuzzing the API from its OpenAPI document found (tests/e2e/test_api_fuzzing.py), each held here without a
worker: an Idempotency-Key is one command, an empty one is refused, and contact methods are each given once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import ValidationError

from labour_tracker.engine.handler import CommandHandler
from labour_tracker.http.commands import command_id
from labour_tracker.http.errors import ApiError
from labour_tracker.http.routes import ROUTES
from labour_tracker.messages.subscriber import ContactMethodsData
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message
from tests.fakes.worker import person_decider

NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)

BIRTHING_PERSON = person_decider()


def test_an_empty_idempotency_key_is_refused_not_ignored() -> None:
    """Ignored, it made every retry of the command a new command."""
    with pytest.raises(ApiError) as refused:
        command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": ""}), None)
    assert (refused.value.status, refused.value.code) == (400, "invalid_idempotency_key")
    assert command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": "k-1"}), None) == "k-1"


def test_every_command_route_documents_a_bad_or_reused_idempotency_key() -> None:
    for route in ROUTES:
        if route.command:
            assert {400, 409} <= set(route.statuses), route.path


def test_a_contact_method_given_twice_is_refused_as_documented() -> None:
    assert ContactMethodsData.model_json_schema()["properties"]["contact_methods"]["uniqueItems"] is True
    with pytest.raises(ValidationError, match="at most once"):
        ContactMethodsData.model_validate_json('{"contact_methods": ["sms", "sms"]}')
    assert len(ContactMethodsData.model_validate_json('{"contact_methods": ["sms", "email"]}').contact_methods) == 2


async def test_a_command_id_used_again_for_another_command_is_refused_not_answered_with_the_first() -> None:
    table = MemoryTable()
    fakes: Any = (table, MemoryTopic(), MemoryTopic(), MemoryTopic())
    handler = CommandHandler(BIRTHING_PERSON, *fakes, clock=lambda: NOW)
    offsets = iter(range(100))

    async def send(command_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """A new message (the next offset) with the same command id."""
        envelope = {"id": "key-1", "type": command_type, "aggregate_id": "alice", "data": data}
        consumed = message(timestamp=NOW.timestamp(), offset=next(offsets))
        reply = await handled_through(handler, "alice", json.dumps(envelope).encode(), consumed)
        assert reply is not None
        return reply["outcome"]

    assert (await send("birthing_person.register", {"first_name": "Ada", "last_name": "L"}))["status"] == "accepted"
    reused = await send("labour.begin", {"first_labour": True})
    assert (reused["status"], reused["error"]["kind"], reused["error"]["code"]) == (
        "rejected",
        "conflict",
        "command_id_reused",
    )
    assert table["alice"].version == 1  # labour was not begun
    again = await send("birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    assert (again["status"], again["version"]) == ("accepted", 1)  # the retry of the first is still answered
