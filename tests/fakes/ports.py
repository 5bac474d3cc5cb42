"""Stand-ins for the worker behind the API's ports: views tested without a Faust app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from yarl import URL

from labour_tracker.messages.envelopes import CommandEnvelope, Outcome
from labour_tracker.messages.reply import Reply


class FakeCommandBus:
    """Keeps each command sent; answers with `refusal` raised, else accepted with the state `states` hold for it."""

    def __init__(self, *, refusal: Exception | None = None, states: dict[str, Any] | None = None) -> None:
        self.refusal, self.states = refusal, states or {}
        self.sent: list[tuple[str, CommandEnvelope]] = []

    def accepting(self) -> bool:
        return True

    async def send(self, aggregate: str, envelope: CommandEnvelope, within: float) -> Reply[Any]:
        self.sent.append((aggregate, envelope))
        if self.refusal is not None:
            raise self.refusal
        outcome = Outcome(
            command_id=envelope.id,
            command_type=envelope.type,
            aggregate_id=envelope.aggregate_id,
            status="accepted",
            version=1,
            time=datetime.now(UTC),
        )
        return Reply(outcome, self.states.get(envelope.aggregate_id))


class FakeAggregates:
    """Aggregates held here (`states`, by aggregate id) or by the worker at `elsewhere`."""

    def __init__(self, states: dict[str, Any] | None = None, *, elsewhere: URL | None = None) -> None:
        self.states, self.elsewhere = states or {}, elsewhere

    def serving(self) -> bool:
        return True

    def owner(self, aggregate: str, key: str) -> URL | None:
        return self.elsewhere

    def state(self, aggregate: str, key: str) -> Any | None:
        return self.states.get(key)
