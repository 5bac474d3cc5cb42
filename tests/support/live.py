"""Following a labour live as a browser's EventSource does: a ticket through the API, then the stream read event by
event (aiohttp reading the `text/event-stream` line by line)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.support.api import Caller


@dataclass(frozen=True)
class Event:
    id: int | None
    name: str
    data: Any
    at: float  # time.monotonic() when it was read


async def ticket(caller: Caller, person_id: str | None = None) -> str:
    """A stream ticket of `caller` to follow `person_id` (their own labour by default)."""
    body = {"birthing_person_id": person_id} if person_id else None
    answer = await caller.post("/live/tickets", body)
    assert answer.status == 201, answer.body
    return str(answer.body["ticket"])


@dataclass
class LiveStream:
    """One open stream: events read as they come, comment lines counted as heartbeats."""

    response: aiohttp.ClientResponse
    heartbeats: int = 0
    closed: bool = False
    read: list[Event] = field(default_factory=list)

    async def next(self, within: float = 10.0) -> Event | None:
        """The next event; None once the server has closed the stream."""
        async with asyncio.timeout(within):
            fields: dict[str, str] = {}
            while True:
                line = await self.response.content.readline()
                if not line:
                    self.closed = True
                    return None
                text = line.decode().rstrip("\n")
                if text == "":
                    if "event" in fields or "data" in fields:
                        event = Event(
                            int(fields["id"]) if "id" in fields else None,
                            fields.get("event", "message"),
                            json.loads(fields.get("data", "null")),
                            time.monotonic(),
                        )
                        self.read.append(event)
                        return event
                    fields = {}  # a block without an event (the reconnection delay)
                    continue
                if text.startswith(":"):
                    self.heartbeats += 1
                    continue
                name, _, value = text.partition(":")
                fields[name] = value.removeprefix(" ")

    async def until(self, name: str, within: float = 10.0, **data: Any) -> Event:
        """The next event named `name` whose data holds `data`, skipping others."""
        async with asyncio.timeout(within):
            while True:
                event = await self.next(within)
                assert event is not None, f"the stream closed before a {name} event"
                if event.name == name and all(event.data.get(k) == v for k, v in data.items()):
                    return event

    def close(self) -> None:
        self.response.close()


async def open_stream(
    session: aiohttp.ClientSession,
    base_url: str,
    person_id: str,
    shown: str | None,
    *,
    last_event_id: int | None = None,
) -> tuple[int, LiveStream | Any]:
    """Open a stream with the ticket `shown`: (200, the stream), or (the status, the error's body)."""
    params = {"ticket": shown} if shown is not None else {}
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    response = await session.get(
        f"{base_url}/api/v1/live/birthing-person/{person_id}",
        params=params,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
    )
    if response.status != 200:
        body = await response.json(content_type=None)
        response.release()
        return response.status, body
    assert response.content_type == "text/event-stream"
    return 200, LiveStream(response)
