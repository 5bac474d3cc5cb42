"""A birthing person's decider and commands for it, for tests that drive a CommandHandler without a worker."""

from __future__ import annotations

import json
from typing import Any

from labour_tracker.domain import labour
from labour_tracker.engine.decider import Decider
from labour_tracker.messages.birthing_person import COMMANDS

PERSON: Decider[Any, Any, Any] = Decider(
    name="birthing_person",
    commands=COMMANDS,
    decide=lambda state, command, now, command_id: labour.decide(
        state, command, now=now, command_id=command_id, subscription_secret=b"secret"
    ),
    evolve=labour.evolve,
    personal=labour.PERSONAL_EVENT_TYPES,
)


def command(command_id: str, command_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": command_id, "type": command_type, "aggregate_id": "p1", "data": data}).encode()


# Alice registering, as a command message's JSON before it is encoded.
REGISTER_ALICE = {"id": "c-1", "type": "birthing_person.register", "aggregate_id": "alice",
                  "data": {"first_name": "Ada", "last_name": "L"}}  # fmt: skip
