"""A command redelivered after a crash that lost its table write is decided again exactly as the first time."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from labour_tracker.agents.command_handler import Aggregate, CommandHandler
from labour_tracker.domain import labour
from labour_tracker.messages.birthing_person import COMMANDS

PERSON: Aggregate[Any, Any, Any] = Aggregate(
    name="birthing_person",
    commands=COMMANDS,
    decide=lambda state, command, now, command_id: labour.decide(
        state, command, now=now, command_id=command_id, subscription_secret=b"secret"
    ),
    evolve=labour.evolve,
)


class Topic:
    """Records what is sent, and says the broker has it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, *, key: str, value: bytes) -> asyncio.Future[None]:
        self.sent.append(json.loads(value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@dataclass
class Message:
    timestamp: float | None
    topic: str = "birthing_person.commands"
    partition: int = 0
    offset: int = 0


def command(command_id: str, command_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": command_id, "type": command_type, "aggregate_id": "p1", "data": data}).encode()


async def test_a_redelivered_command_publishes_the_same_events_however_late_it_comes_again() -> None:
    sent = datetime(2026, 11, 26, 9, 0, 0, 123000, tzinfo=UTC)
    clock = [sent + timedelta(milliseconds=40)]
    table: dict[str, Any] = {}
    events = Topic()
    handler = CommandHandler(PERSON, table, events, Topic(), Topic(), clock=lambda: clock[0])  # type: ignore[arg-type]
    register = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    await handler.handle("p1", register, Message(sent.timestamp()))  # type: ignore[arg-type]
    registered = table["p1"]
    begin = command("c2", "labour.begin", {"first_labour": True})
    await handler.handle("p1", begin, Message(sent.timestamp()))  # type: ignore[arg-type]
    first = events.sent[-1]

    table["p1"] = registered  # the crash: the events were published, the record of c2 was never stored
    clock[0] += timedelta(seconds=12)  # the worker restarted, and the command comes again
    await handler.handle("p1", begin, Message(sent.timestamp()))  # type: ignore[arg-type]
    assert events.sent[-1] == first
    assert first["data"]["start_time"] == "2026-11-26T09:00:00.123000Z"


async def test_a_send_time_in_the_future_is_taken_as_now() -> None:
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    events = Topic()
    handler = CommandHandler(PERSON, {}, events, Topic(), Topic(), clock=lambda: now)  # type: ignore[arg-type]
    register = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    await handler.handle("p1", register, Message((now + timedelta(days=1)).timestamp()))  # type: ignore[arg-type]
    assert events.sent[-1]["time"] == "2026-11-26T09:00:00Z"
