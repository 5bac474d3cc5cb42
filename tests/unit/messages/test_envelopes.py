"""What comes in from outside (a command message, a request body) is refused if its text holds NUL anywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest

from labour_tracker.messages.birthing_person import StartContractionData
from labour_tracker.messages.envelopes import CommandEnvelope
from tests.fakes.commands import REGISTER_ALICE


@pytest.mark.parametrize(
    "envelope",
    [
        REGISTER_ALICE | {"aggregate_id": "al\x00ice"},
        REGISTER_ALICE | {"data": {"first_name": "A\x00da", "last_name": "L"}},
        REGISTER_ALICE | {"data": {"first_name": "Ada", "last_name": "L", "x": [{"\x00": 1}]}},
    ],
)
def test_text_with_nul_is_refused_anywhere_in_a_command(envelope: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NUL"):
        CommandEnvelope.model_validate_json(json.dumps(envelope))


def test_a_request_body_with_nul_is_refused_too() -> None:
    with pytest.raises(ValueError, match="NUL"):
        StartContractionData.model_validate({"notes": "before\x00after"})
