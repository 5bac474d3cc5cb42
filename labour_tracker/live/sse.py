"""Server-sent events as the wire carries them (the WHATWG HTML standard's `text/event-stream`)."""

from __future__ import annotations

from typing import Any

import orjson

HEARTBEAT = b": heartbeat\n\n"  # a comment line: clients ignore it, proxies see the stream alive


def event_frame(name: str, data: Any, event_id: int | None = None) -> bytes:
    """One event: its id (what a reconnecting client sends back as Last-Event-ID), name and JSON data on one line."""
    lines = [] if event_id is None else [f"id: {event_id}".encode()]
    lines += [f"event: {name}".encode(), b"data: " + orjson.dumps(data, option=orjson.OPT_UTC_Z)]
    return b"\n".join(lines) + b"\n\n"


def retry_frame(milliseconds: int) -> bytes:
    """How long a client waits before it reconnects."""
    return f"retry: {milliseconds}\n\n".encode()
