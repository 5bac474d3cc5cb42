"""Steady load on a deployment while a fault is made, and what every fault test checks afterwards: the event logs,
the tables and the mirror agree (`labour-tracker check`); with notifications, each subscriber was told of each event
once on each channel, no more, no less."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from tests.support.api import Caller
from tests.support.notifications import Follower, NotifyingDeployment, follower, labour_with_followers, subjects_to
from tests.support.stack import Stack, ready

ACKNOWLEDGED_WITHIN = 90.0  # seconds a retried command may take across a fault


async def consistency_report(stack: Stack, *, within: float = 60.0) -> dict[str, Any]:
    """The checker's report once it finds nothing, or its last report when `within` runs out (the mirror trails)."""
    deadline = time.monotonic() + within
    while True:
        checker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "labour_tracker", "check", "--json",
            env={**os.environ, **stack.env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await checker.communicate()
        assert checker.returncode in (0, 1), err.decode()[-2000:]
        report: dict[str, Any] = json.loads(out)
        if checker.returncode == 0 or time.monotonic() > deadline:
            return report
        await asyncio.sleep(1)


async def until_acknowledged(
    caller: Caller,
    method: str,
    path: str,
    body: dict[str, int],
    *,
    urls: list[str] | None = None,
    rng: random.Random | None = None,
) -> None:
    """Send the command, and again with the same Idempotency-Key after any failure, until it is answered 200;
    with `urls`, each attempt goes to one of those workers, as through a load balancer."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    last: object = None
    try:
        async with asyncio.timeout(ACKNOWLEDGED_WITHIN):
            while True:
                if urls:
                    caller.base_url = (rng or random).choice(urls)
                try:
                    answer = await caller.call(method, path, body, headers=key)
                    if answer.status == 200:
                        return
                    last = (answer.status, answer.body)
                except (aiohttp.ClientError, TimeoutError) as error:
                    last = error  # the worker is down: try again
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"{method} {path} {key} never acknowledged; last answer: {last!r}") from None


class SteadyLoad:
    """People in labour starting and ending contractions without pause, each command retried until acknowledged."""

    def __init__(self, people: list[Caller], *, urls: list[str] | None = None) -> None:
        self.people, self.urls, self.rng = people, urls, random.Random(11)
        self.acknowledged: Counter[str] = Counter()  # contraction starts answered 200, by person
        self.progress, self.stopping = asyncio.Event(), asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for each in self.people:
            assert (await each.post("/birthing-person/register")).status == 201
            assert (await each.post("/labour/begin", {"first_labour": True})).status == 200
        self.tasks = [asyncio.create_task(self._contractions(each)) for each in self.people]

    async def _contractions(self, caller: Caller) -> None:
        while not self.stopping.is_set():
            await until_acknowledged(caller, "POST", "/labour/contraction/start", {"intensity": 5},
                                     urls=self.urls, rng=self.rng)  # fmt: skip
            self.acknowledged[caller.id] += 1
            self.progress.set()
            await until_acknowledged(caller, "PUT", "/labour/contraction/end", {"intensity": 5},
                                     urls=self.urls, rng=self.rng)  # fmt: skip

    async def everyone_acknowledged_again(self) -> None:
        """Wait until every person has had a contraction acknowledged since this call."""
        since = self.acknowledged.copy()
        async with asyncio.timeout(ACKNOWLEDGED_WITHIN):
            while any(self.acknowledged[each.id] <= since[each.id] for each in self.people):
                self.progress.clear()
                await self.progress.wait()

    async def stop(self) -> None:
        """Stop after each person's contraction in progress has ended, then check nothing was lost or doubled."""
        self.stopping.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), timeout=2 * ACKNOWLEDGED_WITHIN)
        for each in self.people:
            contractions = (await each.get("/labour/active")).body["labour"]["contractions"]
            assert len(contractions) == self.acknowledged[each.id], "each acknowledged start made one contraction"
            assert all(c["end_time"] for c in contractions)


@dataclass(frozen=True)
class Followed:
    """A birthing person followed by one subscriber on SMS and email."""

    person: Caller
    name: str  # their given name; the family name is Moyo
    fan: Follower
    fan_name: str

    def texts(self, event_type: str) -> tuple[str, str]:
        """The SMS and the email subject the subscriber must have of `event_type`."""
        return {
            "labour.begun": (f"{self.fan_name}, {self.name} Moyo is going into labour",
                             f"{self.name} Moyo is going into labour"),
            "labour.completed": (f"Hey {self.fan_name}, {self.name} Moyo has completed labour",
                                 f"{self.name} Moyo has completed labour"),
        }[event_type]  # fmt: skip


NOTIFIED = ("labour.begun", "labour.completed")


class UnderLoad:
    """A fault under steady load (SteadyLoad) while people followed by a subscriber begin labour, and then what
    every such test checks: nothing acknowledged lost, each subscriber told once of each labour begun and completed
    on each channel, the mirror in agreement, the worker ready. `async with UnderLoad(deployment) as fault:` starts
    the load; leaving stops whatever is left of it, even after a failure."""

    FOLLOWED = (("Bea", "Sam"), ("Cleo", "Kim"), ("Dina", "Ola"))

    def __init__(self, deployment: NotifyingDeployment, *, persons: int = 4) -> None:
        self.deployment = deployment
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self.make = deployment.callers(self.http)
        self.load = SteadyLoad([self.make(f"Person{n}", "Steady") for n in range(persons)])
        self.followed: list[Followed] = []

    async def __aenter__(self) -> UnderLoad:
        try:
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in self.load.tasks:
            task.cancel()
        await asyncio.gather(*self.load.tasks, return_exceptions=True)
        await self.http.close()

    async def _start(self) -> None:
        """A subscriber follows each of three birthing people, and the steady load runs for a while."""
        for name, fan_name in self.FOLLOWED:
            fan = await follower(self.make, fan_name, "sms", "email")
            person = await labour_with_followers(self.make, [fan], first=name)
            self.followed.append(Followed(person, name, fan, fan_name))
        await self.load.start()
        await asyncio.sleep(2)
        assert sum(self.load.acknowledged.values()) > 0

    async def begin_labours(self) -> None:
        await asyncio.gather(*(until_acknowledged(each.person, "POST", "/labour/begin", {"first_labour": True})
                               for each in self.followed))  # fmt: skip

    async def complete_labours(self) -> None:
        await asyncio.gather(*(until_acknowledged(each.person, "PUT", "/labour/complete", {})
                               for each in self.followed))  # fmt: skip

    def sms_told(self, event_type: str) -> bool:
        """Whether every subscriber has had the SMS of `event_type`."""
        return all(each.texts(event_type)[0] in self.deployment.twilio.bodies_to(each.fan.phone)
                   for each in self.followed)  # fmt: skip

    def email_told(self, event_type: str) -> bool:
        """Whether every subscriber has had the email of `event_type`."""
        return all(each.texts(event_type)[1] in subjects_to(self.deployment.sftp, each.fan.email)
                   for each in self.followed)  # fmt: skip

    async def ready(self) -> bool:
        return await ready(self.http, self.deployment.worker)

    async def ready_again(self, *, within: float = 60.0) -> None:
        try:
            async with asyncio.timeout(within):
                while not await self.ready():  # noqa: ASYNC110 (polls HTTP)
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise AssertionError(f"the worker was not ready again within {within:g} s") from None

    async def afterwards(self) -> list[asyncpg.Record]:
        """Stop the load and check everything; the subscribers' notifications as the mirror holds them."""
        await self.load.stop()
        notifications = await self._settled_notifications()
        assert [(r["event_type"], r["channel"], r["reason"]) for r in notifications if r["status"] != "sent"] == [], (
            "a notification was lost"
        )
        twilio, sftp = self.deployment.twilio, self.deployment.sftp
        for each in self.followed:
            told = [each.texts(event_type) for event_type in NOTIFIED]
            assert twilio.bodies_to(each.fan.phone) == [sms for sms, _ in told], "one SMS of each, in order"
            assert subjects_to(sftp, each.fan.email) == sorted(subject for _, subject in told), "one email of each"
            sent = {r["provider_id"] for r in notifications if r["subscriber_id"] == each.fan.caller.id
                    and r["channel"] == "sms"}  # fmt: skip
            assert sent == {r.sid for r in twilio.delivered() if r.to == each.fan.phone}, "recorded as Twilio took it"
        assert await self.ready()
        report = await consistency_report(self.deployment.stack)
        assert report["findings"] == []
        assert report["checked"] == {"birthing_person": len(self.load.people) + len(self.followed),
                                     "subscriber": len(self.followed)}  # fmt: skip
        return notifications

    async def _settled_notifications(self, *, within: float = 60.0) -> list[asyncpg.Record]:
        """Once every notification of the subscribers is in the mirror with its outcome (sent or failed: final, so
        nothing more can be sent), those rows."""
        schema = self.deployment.stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
        fans = [each.fan.caller.id for each in self.followed]
        expected = len(fans) * len(NOTIFIED) * 2  # SMS and email
        rows: list[asyncpg.Record] = []
        connection = await asyncpg.connect(self.deployment.stack.env["LABOUR_TRACKER_DATABASE_URL"])
        try:
            async with asyncio.timeout(within):
                while True:
                    rows = await connection.fetch(
                        f"SELECT subscriber_id, event_type, channel, status, attempts, provider_id, reason"
                        f" FROM {schema}.notifications WHERE subscriber_id = ANY($1::text[])",
                        fans,
                    )
                    if len(rows) == expected and all(r["status"] != "pending" for r in rows):
                        return rows
                    await asyncio.sleep(0.2)
        except TimeoutError:
            statuses = Counter((r["event_type"], r["channel"], r["status"]) for r in rows)
            raise AssertionError(f"{expected} notifications not settled within {within:g} s: {statuses}") from None
        finally:
            await connection.close()

    def attempts(self, notifications: list[asyncpg.Record], event_type: str, channel: str) -> list[int]:
        return [r["attempts"] for r in notifications if (r["event_type"], r["channel"]) == (event_type, channel)]
