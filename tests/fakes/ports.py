"""Stand-ins for the worker behind the API's ports: views tested without a Faust app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from yarl import URL

from labour_tracker.http.ports import NoOwner
from labour_tracker.messages.envelopes import CommandEnvelope, ErrorBody, Outcome
from labour_tracker.messages.reply import Reply


class FakeCommandBus:
    """Keeps each command sent; answers with `refusal` raised, or rejected with `rejection`, or else accepted with
    the state `states` hold for its aggregate id."""

    def __init__(
        self,
        *,
        refusal: Exception | None = None,
        rejection: ErrorBody | None = None,
        states: dict[str, Any] | None = None,
    ) -> None:
        self.refusal, self.rejection, self.states = refusal, rejection, states or {}
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
            status="rejected" if self.rejection else "accepted",
            version=1,
            error=self.rejection,
            time=datetime.now(UTC),
        )
        return Reply(outcome, None if self.rejection else self.states.get(envelope.aggregate_id))


class FakeAggregates:
    """Aggregates held here (`states`, by aggregate id), or by the worker at `elsewhere`, or (`owned` false) by no
    worker yet."""

    def __init__(
        self, states: dict[str, Any] | None = None, *, elsewhere: URL | None = None, owned: bool = True
    ) -> None:
        self.states, self.elsewhere, self.owned = states or {}, elsewhere, owned
        self.versions: dict[str, int] = {}  # by aggregate id; 0 unless set

    def serving(self) -> bool:
        return self.owned

    def owner(self, aggregate: str, key: str) -> URL | None:
        if not self.owned:
            raise NoOwner
        return self.elsewhere

    def state(self, aggregate: str, key: str) -> Any | None:
        return self.states.get(key)

    def version(self, aggregate: str, key: str) -> int:
        return self.versions.get(key, 0)
