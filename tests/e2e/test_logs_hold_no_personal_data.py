"""A worker's log holds no bearer token, no subscription token, no phone number, email address, family name or note,
whatever the story: registrations with both in the token, subscriptions, a wrong share token, forged and malformed
bearer tokens, bodies refused with the number or address in them, a live stream's ticket (in the query) opened and
shown again, a rotation, a whole labour with its SMS and emails (through a fake Twilio and the real SFTP server), an
announcement and a private note, and an SMS Twilio refuses.

One worker of its own, at INFO (the production level), so that its log file holds this story and nothing else.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller, Response
from tests.support.live import open_stream
from tests.support.notifications import NotifyingDeployment, approved
from tests.support.servers import new_dir
from tests.support.tokens import authorization, bearer_token


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    with NotifyingDeployment.running_on(
        kafka,
        postgres,
        twilio_api,
        sftp,
        "personal-data-in-logs",
        LABOUR_TRACKER_LOG_LEVEL="INFO",
        LABOUR_TRACKER_NOTIFY_MAX_ATTEMPTS="2",
        LABOUR_TRACKER_NOTIFY_RETRY_DELAY="0.1",
    ) as deployed:
        yield deployed


@dataclass(frozen=True)
class Identity:
    name: str
    family_name: str
    email: str
    phone: str  # E.164


NOTE = f"sharp pain in the back {uuid.uuid4().hex[:8]}"


def someone(name: str) -> Identity:
    """Distinctive enough that finding it in the log cannot be a coincidence."""
    email = f"{name.lower()}.{uuid.uuid4().hex[:10]}@mail-{uuid.uuid4().hex[:6]}.example.org"
    family_name = f"Moyo{uuid.uuid4().hex[:8]}"
    return Identity(name, family_name, email, f"+4477009{random.randrange(10**5):05d}")


def forms_of(phone: str) -> list[str]:
    """The number as written, its digits alone, and its national forms (07700 900123 and 7700900123)."""
    digits = re.sub(r"\D", "", phone)
    national = digits.removeprefix("44")
    return [phone, digits, national, "0" + national]


async def answered(caller: Caller, method: str, path: str, body: Any = None) -> Response:
    """The answer to a call; a command answered late (504, a busy machine) is sent again with the same key, as
    the API asks of every client."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(5):
        answer = await caller.call(method, path, body, headers=headers)
        if answer.status not in (503, 504):
            break
    return answer


async def ok(caller: Caller, method: str, path: str, body: Any = None) -> Response:
    answer = await answered(caller, method, path, body)
    assert answer.status in (200, 201), (method, path, answer.status, answer.body)
    return answer


async def eventually(done: Callable[[], Awaitable[bool]], *, within: float = 60.0, what: str) -> None:
    deadline = time.monotonic() + within
    while not await done():
        assert time.monotonic() < deadline, f"{what} did not happen within {within:g} s"
        await asyncio.sleep(0.1)


def forged_token(identity: Identity, sub: str) -> str:
    """Well formed, naming a real user, but signed by a key the worker does not trust."""
    key = new_dir("forger") / "key.pem"
    return bearer_token(
        key,
        sub=sub,
        given_name=identity.name,
        family_name=identity.family_name,
        email=identity.email,
        phone_number=identity.phone,
    )


async def test_the_log_holds_no_token_contact_detail_name_or_note(deployment: NotifyingDeployment) -> None:
    bea_is, sam_is, rex_is = someone("Bea"), someone("Sam"), someone("Rex")
    secrets: list[str] = []  # every token this story shows the worker

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        make: MakeCaller = deployment.callers(http)

        def caller(identity: Identity) -> Caller:
            made = make(identity.name, identity.family_name, email=identity.email, phone_number=identity.phone)
            secrets.append(made.token)
            return made

        bea, sam, rex = caller(bea_is), caller(sam_is), caller(rex_is)
        deployment.twilio.reject_number(rex_is.phone)  # Twilio's 21211: a failure with a reason to log

        await ok(bea, "POST", "/birthing-person/register")
        share = (await ok(bea, "GET", "/birthing-person/subscription-token")).body["token"]
        secrets.append(share)
        await ok(sam, "POST", "/subscriber/register", {"contact_methods": ["sms", "email"]})
        await ok(rex, "POST", "/subscriber/register", {"contact_methods": ["sms"]})

        wrong_share = share[:-4] + ("aaaa" if not share.endswith("aaaa") else "bbbb")
        secrets.append(wrong_share)
        guessed = await answered(rex, "POST", f"/subscriber/subscribe_to/{bea.id}", {"token": wrong_share})
        assert (guessed.status, guessed.body["code"]) == (403, "invalid_subscription_token")
        await ok(sam, "POST", f"/subscriber/subscribe_to/{bea.id}", {"token": share})
        await ok(rex, "POST", f"/subscriber/subscribe_to/{bea.id}", {"token": share})

        # Bearer tokens the worker must refuse: forged and expired (naming Sam, with his number and address), malformed.
        forged = forged_token(sam_is, sam.id)
        malformed = f"{sam_is.email}.{sam_is.phone}.not-a-jwt"
        expired = bearer_token(
            deployment.stack.signing_key,
            sub=sam.id,
            given_name="Sam",
            family_name=sam_is.family_name,
            email=sam_is.email,
            phone_number=sam_is.phone,
            now=datetime.now(UTC) - timedelta(days=2),
        )
        secrets += [forged, malformed, expired]
        for token in (forged, malformed, expired):
            refused = await sam.get("/subscriber/", headers=authorization(token))
            assert refused.status == 401, refused.body

        # Bodies refused with the number or the address in them.
        assert (await bea.post("/labour/begin", {"first_labour": bea_is.phone})).status == 422
        assert (await sam.put("/subscriber/contact-methods", {"contact_methods": [sam_is.phone]})).status == 422
        assert (await sam.post("/subscriber/register", {"contact_methods": [sam_is.email]})).status == 422
        not_json = await sam.call(
            "POST",
            f"/subscriber/subscribe_to/{bea.id}",
            data=f'{{"token": "{share}", "email": "{sam_is.email}"'.encode(),
            headers={"Content-Type": "application/json"},
        )
        assert not_json.status == 400, not_json.body

        await approved(bea, [sam.id, rex.id])  # their follow requests, once they reach the person

        began = datetime.now(UTC) - timedelta(minutes=30)
        await ok(bea, "POST", "/labour/begin", {"first_labour": True, "start_time": began.isoformat()})
        for minute in (5, 10):
            start = began + timedelta(minutes=minute)
            await ok(bea, "POST", "/labour/contraction/start", {"start_time": start.isoformat(), "intensity": 6})
            end = start + timedelta(seconds=70)
            await ok(bea, "PUT", "/labour/contraction/end", {"end_time": end.isoformat(), "intensity": 7})
        await ok(
            bea, "POST", "/labour/contraction/start", {"intensity": 8, "notes": f"{NOTE}, call me on {bea_is.phone}"}
        )
        assert (await bea.put("/labour/contraction/end", {"intensity": 11})).status == 422
        await ok(bea, "PUT", "/labour/contraction/end", {"intensity": 8})
        await ok(bea, "POST", "/labour/updates", {"kind": "announcement", "message": f"{NOTE}, announced"})
        await ok(bea, "POST", "/labour/updates", {"kind": "private_note", "message": f"{NOTE}, to myself"})
        too_soon = await bea.post("/labour/updates", {"kind": "announcement", "message": f"{NOTE}, again"})
        assert too_soon.status == 429
        # Bea follows her labour live: the ticket travels in the query, opens a stream once, and is refused after.
        live_ticket = (await ok(bea, "POST", "/live/tickets")).body["ticket"]
        secrets.append(live_ticket)
        for _ in range(100):  # 503 until the worker's live feed follows; the ticket is not spent meanwhile
            status, stream = await open_stream(http, deployment.worker.url, bea.id, live_ticket)
            if status != 503:
                break
            await asyncio.sleep(0.1)
        assert status == 200, stream
        assert (await stream.until("snapshot")).data["labour"] is not None
        stream.close()
        status, refused = await open_stream(http, deployment.worker.url, bea.id, live_ticket)
        assert (status, refused["code"]) == (401, "ticket_used")
        rotated = (await ok(bea, "POST", "/birthing-person/subscription-token/rotate")).body["token"]
        secrets.append(rotated)
        await ok(bea, "PUT", "/labour/complete", {"notes": f"write to {bea_is.email}"})

    async def all_sent() -> bool:
        texts = len(deployment.twilio.bodies_to(sam_is.phone))
        emails = [path for path in deployment.sftp.drop_directory.glob("*.eml") if sam_is.email in path.read_text()]
        refusals = deployment.log.read_text(errors="replace").count("invalid phone number")
        return texts == 3 and len(emails) == 3 and refusals >= 3

    await eventually(all_sent, what="Sam's three SMS and three emails, and Twilio's refusal of Rex's three SMS")
    deployment.worker.stop()  # everything it would log, shutting down included, is in the file

    log = deployment.log.read_text(errors="replace")
    assert "accepted by Twilio" in log and "dropped as" in log, "the story did not reach the log"
    personal = {
        **{f"token {n}": secret for n, secret in enumerate(secrets)},
        # A JWT's payload or signature alone gives it away too (its header is the same for many tokens).
        **{
            f"part {m} of token {n}": part
            for n, secret in enumerate(secrets)
            if secret.count(".") == 2
            for m, part in enumerate(secret.split(".")[1:], start=1)
        },
        **{f"{who.name}'s email": who.email for who in (bea_is, sam_is, rex_is)},
        **{f"{who.name}'s family name": who.family_name for who in (bea_is, sam_is, rex_is)},
        "a note": NOTE,
        **{f"{who.name}'s phone as {form}": form for who in (bea_is, sam_is, rex_is) for form in forms_of(who.phone)},
    }
    leaks = sorted(what for what, value in personal.items() if value in log)
    where = {what: next(line for line in log.splitlines() if personal[what] in line)[:300] for what in leaks}
    assert leaks == [], f"the worker's log ({deployment.log}) holds personal data:\n" + "\n".join(
        f"{what}: {line}" for what, line in where.items()
    )
