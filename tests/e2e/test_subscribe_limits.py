"""Guessing a subscription token is slowed down: past a few wrong tokens from one subscriber, or from one client
address, a subscribe is answered 429 with Retry-After before any command is sent, while everyone else goes on.

A worker of its own with a limit of 3; each test connects from loopback addresses of its own (127.0.x.y), so
the per-address limit of one test never meets another's.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.http.subscriber import authorisation_id
from tests.support.api import Caller, MakeCaller, Response
from tests.support.openapi import Schemas, openapi_document, strict
from tests.support.stack import Deployment, new_stack

LIMIT = 3
WINDOW = 600
SUBSCRIBE = "/subscriber/subscribe_to/{birthing_person_id}"


@pytest.fixture(scope="module")
def deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[Deployment]:
    stack = new_stack(
        kafka,
        postgres,
        LABOUR_TRACKER_SUBSCRIBE_FAILURE_LIMIT=str(LIMIT),
        LABOUR_TRACKER_SUBSCRIBE_FAILURE_WINDOW=str(WINDOW),
    )
    with Deployment.running(stack, "subscribe-limits") as deployed:
        yield deployed


FromAddress = Callable[[str], MakeCaller]


@pytest.fixture
async def from_address(deployment: Deployment) -> AsyncIterator[FromAddress]:
    """Callers whose connections come from the given loopback address."""
    sessions: list[aiohttp.ClientSession] = []

    def at(address: str) -> MakeCaller:
        connector = aiohttp.TCPConnector(local_addr=(address, 0))
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), connector=connector)
        sessions.append(session)
        return deployment.callers(session)

    yield at
    for session in sessions:
        await session.close()


def error(answer: Response) -> tuple[int, str]:
    return answer.status, answer.body["code"]


async def registered_person(make: MakeCaller) -> tuple[Caller, str]:
    bea = make("Bea", "Moyo")
    assert (await bea.post("/birthing-person/register")).status == 201
    return bea, (await bea.get("/birthing-person/subscription-token")).body["token"]


async def registered_subscriber(make: MakeCaller, name: str, **identity: Any) -> Caller:
    caller = make(name, "Lee", email=f"{name.lower()}@example.org", **identity)
    assert (await caller.post("/subscriber/register", {"contact_methods": ["email"]})).status == 201
    return caller


async def subscribe(caller: Caller, person: Caller, token: str, key: str) -> Response:
    path = SUBSCRIBE.format(birthing_person_id=person.id)
    return await caller.post(path, {"token": token}, headers={"Idempotency-Key": key})


def assert_too_many(answer: Response, schemas: Schemas) -> None:
    assert error(answer) == (429, "too_many_attempts"), answer.body
    assert set(answer.body) == {"description", "code"}
    schemas.response(SUBSCRIBE, "POST", answer)
    retry_after = answer.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert WINDOW - 60 <= int(retry_after) <= WINDOW  # the failures were moments ago


async def authorisations_of(deployment: Deployment, person_id: str, *, until: str) -> list[tuple[str, str]]:
    """(command id, status) of every token check on the person's outcomes topic, up to the one with id `until`:
    the person's agent answers in order, so everything it was asked before `until` is on the topic before it."""
    consumer = AIOKafkaConsumer(
        deployment.topic("birthing_person.outcomes"),
        bootstrap_servers=deployment.stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[tuple[str, str]] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    outcome = json.loads(record.value or b"{}")
                    if outcome.get("aggregate_id") != person_id:
                        continue
                    if outcome["command_type"] == "birthing_person.authorise_subscriber":
                        found.append((outcome["command_id"], outcome["status"]))
                    if outcome["command_id"] == until:
                        return found
    finally:
        await consumer.stop()
    raise AssertionError(f"no outcome of {until} within 30 s; found {found}")


async def test_past_the_limit_a_subscriber_is_refused_even_with_the_right_token_and_no_command_is_sent(
    deployment: Deployment, from_address: FromAddress, http: aiohttp.ClientSession
) -> None:
    schemas = Schemas(strict(await openapi_document(http, deployment.worker)))
    bea, token = await registered_person(from_address("127.0.1.1"))
    mallory = await registered_subscriber(from_address("127.0.1.2"), "Mallory")

    for n in range(LIMIT):
        guessed = await subscribe(mallory, bea, f"guess-{n}-{token[:-8]}", f"guess-{n}")
        assert error(guessed) == (403, "invalid_subscription_token")
    assert_too_many(await subscribe(mallory, bea, token, "right-token"), schemas)
    # The limit is on the subscriber wherever they connect from, not only on the address they guessed from.
    elsewhere = from_address("127.0.1.3")("Mallory", "Lee", user_id=mallory.id)
    assert_too_many(await subscribe(elsewhere, bea, token, "right-token-elsewhere"), schemas)
    assert (await mallory.get("/subscriber/")).body["subscriber"]["subscribed_to"] == []

    sam = await registered_subscriber(from_address("127.0.1.4"), "Sam")
    subscribed = await subscribe(sam, bea, token, "sam-subscribes")
    assert subscribed.status == 200, subscribed.body
    assert subscribed.body["subscriber"]["subscribed_to"] == [bea.id]

    # The person's agent checked Mallory's three guesses and Sam's token, and nothing for the refused attempts.
    checks = await authorisations_of(deployment, bea.id, until=authorisation_id(sam.id, "sam-subscribes"))
    assert checks == [(authorisation_id(mallory.id, f"guess-{n}"), "rejected") for n in range(LIMIT)] + [
        (authorisation_id(sam.id, "sam-subscribes"), "accepted")
    ]


async def test_past_the_limit_an_address_is_refused_for_everyone_on_it_and_only_for_them(
    deployment: Deployment, from_address: FromAddress, http: aiohttp.ClientSession
) -> None:
    schemas = Schemas(strict(await openapi_document(http, deployment.worker)))
    bea, token = await registered_person(from_address("127.0.2.1"))
    shared = from_address("127.0.2.2")

    for n in range(LIMIT):  # a different subscriber each time: no one subscriber reaches the limit
        guesser = await registered_subscriber(shared, f"Guesser{n}")
        assert error(await subscribe(guesser, bea, f"guess-{n}", f"guess-{n}")) == (403, "invalid_subscription_token")
    kim = await registered_subscriber(shared, "Kim")
    assert_too_many(await subscribe(kim, bea, token, "kim-on-the-shared-address"), schemas)

    kim_at_home = from_address("127.0.2.3")("Kim", "Lee", user_id=kim.id)
    subscribed = await subscribe(kim_at_home, bea, token, "kim-at-home")
    assert subscribed.status == 200, subscribed.body
    assert subscribed.body["subscriber"]["subscribed_to"] == [bea.id]


async def test_successful_subscribes_do_not_count_even_many_at_once_from_one_address(
    deployment: Deployment, from_address: FromAddress
) -> None:
    at = from_address("127.0.3.1")
    bea, token = await registered_person(at)
    many = await asyncio.gather(*(registered_subscriber(at, f"Sub{n}") for n in range(4 * LIMIT)))
    answers = await asyncio.gather(*(subscribe(each, bea, token, f"follows-{each.id}") for each in many))
    assert [answer.status for answer in answers] == [200] * len(many)

    sam = many[0]
    for _ in range(LIMIT):
        someone, their_token = await registered_person(at)
        assert (await subscribe(sam, someone, their_token, f"sam-follows-{someone.id}")).status == 200
    someone, their_token = await registered_person(at)
    guessed = await subscribe(sam, someone, f"x{their_token}", "one-wrong")
    assert error(guessed) == (403, "invalid_subscription_token")
