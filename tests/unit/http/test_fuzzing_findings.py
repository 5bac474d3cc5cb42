"""What fuzzing the API from its OpenAPI document found (tests/e2e/test_api_fuzzing.py), held here without a worker:
an empty Idempotency-Key is refused."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from labour_tracker.http.errors import ApiError
from labour_tracker.http.plumbing import command_id
from labour_tracker.http.routes import ROUTES


def test_an_empty_idempotency_key_is_refused_not_ignored() -> None:
    """Ignored, it made every retry of the command a new command."""
    with pytest.raises(ApiError) as refused:
        command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": ""}), None)
    assert (refused.value.status, refused.value.code) == (400, "invalid_idempotency_key")
    assert command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": "k-1"}), None) == "k-1"


def test_every_command_route_documents_a_bad_idempotency_key() -> None:
    for route in ROUTES:
        if route.command:
            assert 400 in route.statuses, route.path
