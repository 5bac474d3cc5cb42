"""How long to wait before trying a transient failure again: exponential backoff with jitter, bounded."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int  # calls to the provider in all, the first included
    first_delay: float  # seconds before the second call
    max_delay: float = 30.0

    def delay(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """The wait after the `attempt`-th call failed (1-based): half fixed, half random, so retries spread out."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + draw() * ceiling / 2

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
