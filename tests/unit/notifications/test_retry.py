"""How long the sender waits before each attempt again, and when it gives up."""

from __future__ import annotations

from labour_tracker.notifications.retry import RetryPolicy


def test_retries_back_off_exponentially_with_jitter_up_to_a_ceiling_and_stop_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=5, first_delay=0.5, max_delay=3.0)
    assert [policy.delay(k, lambda: 0.0) for k in (1, 2, 3, 4, 5)] == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert [policy.delay(k, lambda: 1.0) for k in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [policy.gives_up_after(k) for k in (1, 4, 5)] == [False, False, True]
