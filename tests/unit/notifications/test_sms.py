"""Twilio's answers: which failures a retry can help."""

from __future__ import annotations

import pytest

from labour_tracker.notifications.sms import classify


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [(429, 20429, True), (500, 20500, True), (503, None, True), (400, 21211, False), (401, 20003, False)],
)
def test_twilio_errors_are_transient_only_when_a_retry_can_help(status: int, code: int | None, transient: bool) -> None:
    failure = classify(status, code)
    assert type(failure).__name__ == ("Transient" if transient else "Permanent")
    assert str(status) in failure.reason
