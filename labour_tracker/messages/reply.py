"""What a command's caller is told: its outcome and, when accepted, the aggregate's state after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from labour_tracker.messages.codec import to_data
from labour_tracker.messages.envelopes import Outcome

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Reply(Generic[S]):
    """A caller in the same process is handed it as it is; one elsewhere gets `as_data()` through Kafka."""

    outcome: Outcome
    state: S | None

    def as_data(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.model_dump(mode="json"),
            "state": to_data(self.state) if self.state is not None else None,
        }
