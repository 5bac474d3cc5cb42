"""Deployments that notify (SMS through a fake Twilio, emails to the SFTP server the mail relay picks up from), and
subscribers who follow a labour and what they were sent."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from labour_tracker.domain.limits import FOLLOW_REQUESTS_PER_PERSON
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller
from tests.support.stack import Deployment, new_stack


@dataclass
class NotifyingDeployment(Deployment):
    """A deployment whose worker sends SMS through `twilio` and emails to `sftp`."""

    twilio: FakeTwilio
    sftp: SftpServer

    @classmethod
    @contextmanager
    def running_on(
        cls, kafka: KafkaBroker, postgres: PostgresCluster, twilio: FakeTwilio, sftp: SftpServer, name: str, **env: str
    ) -> Iterator[NotifyingDeployment]:
        """A deployment of its own on these servers (`env` set besides), its worker named `name` started, and
        stopped afterwards."""
        stack = new_stack(kafka, postgres, **twilio.env(), **sftp.worker_env(), **env)
        with stack.running(name) as worker:
            yield cls(stack, worker, twilio, sftp)


async def eventually(done: Callable[[], bool], *, within: float = 30.0, what: str = "it") -> None:
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, f"{what} did not happen within {within:g} s"
        await asyncio.sleep(0.1)


async def ok(answer: Awaitable[Any]) -> Any:
    response = await answer
    assert response.status in (200, 201), (response.status, response.body)
    return response.body


@dataclass
class Follower:
    caller: Caller
    phone: str
    email: str
    methods: tuple[str, ...]


def new_number() -> str:
    return f"+4477009{random.randrange(10**5):05d}"


async def follower(person: MakeCaller, name: str, *methods: str) -> Follower:
    phone, email = new_number(), f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    caller = person(name, "Lee", email=email, phone_number=phone)
    await ok(caller.post("/subscriber/register", {"contact_methods": list(methods)}))
    return Follower(caller, phone, email, methods)


async def labour_with_followers(person: MakeCaller, followers: list[Follower], first: str = "Bea") -> Caller:
    bea = person(first, "Moyo")
    await ok(bea.post("/birthing-person/register"))
    token = (await ok(bea.get("/birthing-person/subscription-token")))["token"]
    waiting = FOLLOW_REQUESTS_PER_PERSON.maximum  # requests at once: approved in turns of that many
    for turn in range(0, len(followers), waiting):
        for each in followers[turn : turn + waiting]:
            await ok(each.caller.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token}))
        await approved(bea, [each.caller.id for each in followers[turn : turn + waiting]])
    return bea


async def approved(person: Caller, subscriber_ids: list[str], role: str = "birth_partner") -> dict[str, Any]:
    """Once each subscriber's follow request reaches the person (through the subscriptions processor), the person
    approves it in `role` (a birth partner hears of everything); returns the person's record with them following."""
    waiting = set(subscriber_ids)
    for _ in range(300):
        record = (await ok(person.get("/birthing-person/")))["birthing_person"]
        for each in sorted(waiting & set(record["follow_requests"])):
            await ok(person.post(f"/birthing-person/follow-requests/{each}/approve", {"role": role}))
        if waiting <= set(record["subscribers"]):
            return dict(record)
        await asyncio.sleep(0.1)
    raise AssertionError("the follow requests did not reach the birthing person")


def emails_to(sftp: SftpServer, address: str) -> list[EmailMessage]:
    found = []
    for path in sftp.drop_directory.glob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            found.append(message)
    return found


def subjects_to(sftp: SftpServer, address: str) -> list[str]:
    return sorted(str(each["Subject"]) for each in emails_to(sftp, address))
