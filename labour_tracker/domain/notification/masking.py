"""Where a notification goes, as a log line may show it."""

from __future__ import annotations

from labour_tracker.domain.subscriber.model import ContactMethod


def masked(channel: ContactMethod, destination: str) -> str:
    """A destination fit for a log line: enough to tell two apart, never the whole number or address."""
    if channel is ContactMethod.SMS:
        return f"…{destination[-3:]}" if len(destination) > 6 else "…"
    local, _, domain = destination.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"
