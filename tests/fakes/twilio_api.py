"""A local server that speaks Twilio's Messages API, for the real SDK to talk to.

`POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth and form fields `To`, `From`, `Body` answers 201
with Twilio's JSON (a fresh `sid`). It records every request, and can be told to fail: the next N requests
with 429 or 500, or every request to one number with Twilio's permanent error 21211 (invalid number).

Like Twilio, it keeps each message's `StatusCallback` and can call it back with a status (`report`), the form signed
with the auth token over the callback URL as given (`X-Twilio-Signature`), reaching the worker at its own address as a
proxy in front of it would.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from labour_tracker.devstack.process import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
FROM_NUMBER = "+15005550006"
INVALID_NUMBER: dict[str, Any] = {
    "code": 21211,
    "message": "The 'To' number is not a valid phone number.",
    "status": 400,
}


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, and what it answered."""

    to: str
    from_: str
    body: str
    status: int
    sid: str | None
    status_callback: str = ""  # where Twilio is to report on it, as the sender gave it
    at: float = field(default_factory=time.time)  # when it arrived (wall clock, to compare across processes)


@dataclass
class FakeTwilio:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _failures: deque[int] = field(default_factory=deque)
    _stalls: deque[float] = field(default_factory=deque)
    _invalid_numbers: set[str] = field(default_factory=set)
    _sids: itertools.count[int] = field(default_factory=itertools.count)
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: asyncio.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a worker needs to send through this server."""
        return {
            "LABOUR_TRACKER_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "LABOUR_TRACKER_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "LABOUR_TRACKER_TWILIO_FROM_NUMBER": FROM_NUMBER,
            "LABOUR_TRACKER_TWILIO_API_URL": self.url,
        }

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next `count` requests with `status` (429 or 500), as Twilio does when it is overloaded."""
        with self._lock:
            self._failures.extend([status] * count)

    def stall_next(self, count: int, seconds: float) -> None:
        """Answer the next `count` requests only after `seconds`, as a Twilio that has stopped answering."""
        with self._lock:
            self._stalls.extend([seconds] * count)

    def reject_number(self, number: str) -> None:
        """Answer every message to `number` with error 21211: a permanent refusal."""
        self._invalid_numbers.add(number)

    def accept_number(self, number: str) -> None:
        """Take messages to `number` again, as after the number was put right."""
        self._invalid_numbers.discard(number)

    def delivered(self) -> list[Received]:
        """The messages accepted (answered 201)."""
        return [each for each in self.received if each.status == 201]

    def bodies_to(self, number: str) -> list[str]:
        return [each.body for each in self.delivered() if each.to == number]

    def sent_to(self, number: str) -> list[Received]:
        return [each for each in self.delivered() if each.to == number]

    async def report(
        self, sid: str, status: str, *, reach: str, signed: bool = True, signature: str | None = None
    ) -> int:
        """Call the message's status callback with `status`, as Twilio does, at `reach` (the worker's base URL): the
        path and query of the callback URL, signed over that URL as given. Returns the HTTP status answered."""
        (message,) = [each for each in self.received if each.sid == sid]
        assert message.status_callback, "the message was sent without a status callback"
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, "To": message.to}
        headers = {}
        if signed:
            computed = RequestValidator(AUTH_TOKEN).compute_signature(message.status_callback, form)
            headers["X-Twilio-Signature"] = signature if signature is not None else computed
        parts = urlsplit(message.status_callback)
        target = f"{reach}{parts.path}?{parts.query}"
        async with aiohttp.ClientSession() as session, session.post(target, data=form, headers=headers) as answer:
            return answer.status

    def start(self) -> None:
        """Serve from a thread of its own, so it answers even while the test's event loop waits on something."""
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), name="fake-twilio", daemon=True)
        self._thread.start()
        if not started.wait(timeout=10):
            raise RuntimeError("the fake Twilio server did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _serve(self, started: threading.Event) -> None:
        async def serve() -> None:
            self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
            app = web.Application()
            app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            started.set()
            await self._stopping.wait()
            await runner.cleanup()

        asyncio.run(serve())

    async def _create_message(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected or request.match_info["sid"] != ACCOUNT_SID:
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        with self._lock:
            stall = self._stalls.popleft() if self._stalls else 0.0
        await asyncio.sleep(stall)
        to, from_, body = (str(form.get(name, "")) for name in ("To", "From", "Body"))
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if not (to and from_ and body):
            answer = _error(400, 21604, "A 'To', 'From' and 'Body' are required.")
        elif failure is not None:
            answer = _error(failure, 20429 if failure == 429 else 20500, "Try again later.")
        elif to in self._invalid_numbers:
            answer = _error(INVALID_NUMBER["status"], INVALID_NUMBER["code"], INVALID_NUMBER["message"])
        else:
            sid = f"SM{next(self._sids):032x}"
            answer = web.json_response(_message(sid, to, from_, body, request.match_info["sid"]), status=201)
        callback = str(form.get("StatusCallback", ""))
        self.received.append(Received(to, from_, body, answer.status, _sid_of(answer), callback))
        return answer


def _sid_of(answer: web.Response) -> str | None:
    if answer.status != 201 or not isinstance(answer.body, bytes):
        return None
    sid: str = json.loads(answer.body)["sid"]
    return sid


def _error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return web.json_response(body | {"status": status}, status=status)


def _message(sid: str, to: str, from_: str, body: str, account_sid: str) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": account_sid,
        "to": to,
        "from": from_,
        "body": body,
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "api_version": "2010-04-01",
        "date_created": "Fri, 14 Mar 2025 06:00:00 +0000",
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }
