"""Subscriptions through real workers: share the token, subscribe, follow the labour, rotate, unsubscribe; and both
sides of every subscription agree after many people subscribe at once through two workers."""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import Caller, MakeCaller, Response, caller_factory
from tests.support.kafka import Kafka
from tests.support.notifications import approved
from tests.support.stack import Deployment, Stack, new_stack, side_by_side


async def eventually(
    read: Callable[[], Awaitable[Response]], done: Callable[[Response], bool], *, within: float = 15.0
) -> Response:
    """The first answer `done` accepts: the person's side follows the subscriber's through Kafka."""
    deadline = time.monotonic() + within
    while True:
        answer = await read()
        if done(answer) or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.05)


def error(answer: Response) -> tuple[int, str]:
    return answer.status, answer.body["code"]


async def birthing_person(person: MakeCaller, first: str = "Bea", last: str = "Moyo") -> tuple[Caller, str]:
    """A registered birthing person and the token they share."""
    caller = person(first, last)
    assert (await caller.post("/birthing-person/register")).status == 201
    token = await caller.get("/birthing-person/subscription-token")
    return caller, token.body["token"]


async def subscriber(person: MakeCaller, first: str = "Sam", *methods: str) -> Caller:
    caller = person(first, "Lee", email=f"{first.lower()}@example.org", phone_number="+447700900123")
    registered = await caller.post("/subscriber/register", {"contact_methods": list(methods or ["email"])})
    assert registered.status == 201, registered.body
    return caller


def subscribers_of(answer: Response) -> list[str]:
    return [each["id"] for each in answer.body["subscribers"]]


async def test_a_subscriber_follows_a_labour_with_the_shared_token_until_they_unsubscribe(person: MakeCaller) -> None:
    bea, token = await birthing_person(person)
    assert (await bea.post("/labour/begin", {"first_labour": True})).status == 200
    assert (await bea.post("/labour/contraction/start", {"intensity": 5})).status == 200

    sam = person("Sam", "Lee", email="sam@example.org", phone_number="+447700900123")
    registered = await sam.post("/subscriber/register", {"contact_methods": ["sms", "email"]})
    assert registered.status == 201, registered.body
    assert registered.body == {
        "subscriber": {
            "id": sam.id,
            "first_name": "Sam",
            "last_name": "Lee",
            "contact_methods": ["email", "sms"],
            "confirmed": ["email", "sms"],  # the issuer verified both
            "subscribed_to": [],
            "subscription_contact_methods": {},
        }
    }

    subscribed = await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})
    assert subscribed.status == 200, subscribed.body
    assert subscribed.body["subscriber"]["subscribed_to"] == [bea.id]
    await approved(bea, [sam.id])  # a follow request, approved once it reaches her
    # The lists come from the mirror, which follows the tables within moments.
    followed = await eventually(
        lambda: sam.get("/subscriber/subscriptions"),
        lambda a: [each["status"] for each in a.body["subscriptions"]] == ["approved"],
    )
    assert followed.body == {
        "subscriptions": [
            {
                "id": bea.id,
                "first_name": "Bea",
                "last_name": "Moyo",
                "contact_methods": ["email", "sms"],
                "status": "approved",
                "role": "birth_partner",
            }
        ],
        "next": None,
    }
    followers = await eventually(lambda: bea.get("/birthing-person/subscribers"), lambda a: bool(a.body["subscribers"]))
    assert followers.body["subscribers"] == [
        {
            "id": sam.id,
            "first_name": "Sam",
            "last_name": "Lee",
            "contact_methods": ["email", "sms"],
            "role": "birth_partner",
        }
    ]
    # The person's own record follows through the subscriptions processor.
    person_side = await eventually(
        lambda: bea.get("/birthing-person/"), lambda a: a.body["birthing_person"]["subscribers"] == [sam.id]
    )
    assert person_side.body["birthing_person"]["subscribers"] == [sam.id]

    labour = await sam.get(f"/birthing-person/{bea.id}/labour/active")
    assert labour.status == 200, labour.body
    assert len(labour.body["labour"]["contractions"]) == 1
    summary = await sam.get(f"/birthing-person/{bea.id}/labour/active/summary")
    assert summary.status == 200
    assert summary.body["summary"]["contraction_count"] == 1
    assert summary.body["summary"]["active_contraction"]["intensity"] == 5

    kim = await subscriber(person, "Kim")
    assert error(await kim.get(f"/birthing-person/{bea.id}/labour/active")) == (403, "not_subscribed")
    assert error(await kim.get(f"/birthing-person/{bea.id}/labour/active/summary")) == (403, "not_subscribed")

    rotated = await bea.post("/birthing-person/subscription-token/rotate")
    assert rotated.status == 200
    new_token = rotated.body["token"]
    assert new_token != token
    refused = await kim.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})
    assert error(refused) == (403, "invalid_subscription_token")
    assert (await sam.get(f"/birthing-person/{bea.id}/labour/active")).status == 200, "rotation keeps subscriptions"
    assert (await kim.post(f"/subscriber/subscribe_to/{bea.id}", {"token": new_token})).status == 200
    await approved(bea, [kim.id], role="friends_and_family")

    unsubscribed = await sam.post("/subscriber/unsubscribe_from", {"birthing_person_id": bea.id})
    assert unsubscribed.status == 200, unsubscribed.body
    assert unsubscribed.body["subscriber"]["subscribed_to"] == []
    shut_out = await eventually(lambda: sam.get(f"/birthing-person/{bea.id}/labour/active"), lambda a: a.status == 403)
    assert error(shut_out) == (403, "not_subscribed")
    followers = await eventually(
        lambda: bea.get("/birthing-person/subscribers"), lambda a: subscribers_of(a) == [kim.id]
    )
    assert subscribers_of(followers) == [kim.id]
    no_longer = await eventually(lambda: sam.get("/subscriber/subscriptions"), lambda a: not a.body["subscriptions"])
    assert no_longer.body == {"subscriptions": [], "next": None}


async def test_registering_and_changing_contact_methods_checks_the_token_has_what_each_method_needs(
    person: MakeCaller,
) -> None:
    no_phone = person("Nia", "Obi", email="nia@example.org")
    assert error(await no_phone.get("/subscriber/")) == (404, "subscriber_not_found")
    assert error(await no_phone.post("/subscriber/register", {"contact_methods": ["sms"]})) == (
        400,
        "phone_number_required",
    )
    assert error(await no_phone.post("/subscriber/register", {"contact_methods": []})) == (
        400,
        "contact_methods_required",
    )
    assert error(await no_phone.post("/subscriber/register", {"contact_methods": ["pigeon"]})) == (
        422,
        "validation_error",
    )
    assert error(await no_phone.put("/subscriber/contact-methods", {"contact_methods": ["email"]})) == (
        404,
        "subscriber_not_found",
    )
    assert (await no_phone.post("/subscriber/register", {"contact_methods": ["email"]})).status == 201
    assert error(await no_phone.post("/subscriber/register", {"contact_methods": ["email"]})) == (
        409,
        "subscriber_already_registered",
    )
    assert error(await no_phone.put("/subscriber/contact-methods", {"contact_methods": ["sms"]})) == (
        400,
        "phone_number_required",
    )
    assert (await no_phone.get("/subscriber/")).body["subscriber"]["contact_methods"] == ["email"]

    no_email = person("Ola", "Ade", phone_number="+447700900456")
    assert error(await no_email.post("/subscriber/register", {"contact_methods": ["email"]})) == (
        400,
        "email_required",
    )
    assert (await no_email.post("/subscriber/register", {"contact_methods": ["sms"]})).status == 201
    changed = await no_email.put("/subscriber/contact-methods", {"contact_methods": ["sms"]})
    assert changed.status == 200
    assert changed.body["subscriber"]["contact_methods"] == ["sms"]
    anonymous = await no_email.get("/subscriber/", headers={"Authorization": "Bearer not-a-token"})
    assert anonymous.status == 401


async def test_every_way_a_subscribe_or_unsubscribe_is_refused(person: MakeCaller) -> None:
    bea, token = await birthing_person(person)
    sam = await subscriber(person, "Sam")

    unknown = await sam.post(f"/subscriber/subscribe_to/nobody-{uuid.uuid4().hex}", {"token": token})
    assert error(unknown) == (404, "birthing_person_not_found")
    too_long = await sam.post(f"/subscriber/subscribe_to/{'x' * 300}", {"token": token})
    assert error(too_long) == (404, "birthing_person_not_found")
    assert error(await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token[:-1]})) == (
        403,
        "invalid_subscription_token",
    )
    assert error(await sam.post(f"/subscriber/subscribe_to/{bea.id}", {})) == (422, "validation_error")
    assert error(await sam.post("/subscriber/unsubscribe_from", {"birthing_person_id": bea.id})) == (
        400,
        "not_subscribed",
    )

    # A retry with the same Idempotency-Key is answered the same; a second subscribe is refused.
    key = {"Idempotency-Key": f"subscribe-{uuid.uuid4().hex}"}
    first = await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token}, headers=key)
    again = await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token}, headers=key)
    assert (first.status, again.status) == (200, 200)
    assert first.body == again.body
    assert error(await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})) == (
        400,
        "already_subscribed",
    )

    # The person may not subscribe to themselves, even as a registered subscriber with their own token.
    bea_too = person("Bea", "Moyo", email="bea@example.org", user_id=bea.id)
    assert (await bea_too.post("/subscriber/register", {"contact_methods": ["email"]})).status == 201
    assert error(await bea_too.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})) == (
        400,
        "cannot_subscribe_to_self",
    )

    # The right token is not enough without registering as a subscriber first.
    stranger = person("Tom", "Ng")
    assert error(await stranger.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})) == (
        404,
        "subscriber_not_found",
    )
    assert error(await stranger.post("/subscriber/unsubscribe_from", {"birthing_person_id": bea.id})) == (
        404,
        "subscriber_not_found",
    )
    assert error(await stranger.get("/subscriber/subscriptions")) == (404, "subscriber_not_found")
    assert error(await stranger.get("/birthing-person/subscribers")) == (404, "birthing_person_not_found")

    # Reading someone's labour: unknown person, not subscribed, subscribed but no labour under way.
    assert error(await sam.get(f"/birthing-person/nobody-{uuid.uuid4().hex}/labour/active")) == (
        404,
        "birthing_person_not_found",
    )
    assert error(await stranger.get(f"/birthing-person/{bea.id}/labour/active/summary")) == (403, "not_subscribed")
    await approved(bea, [sam.id])
    no_labour = await eventually(lambda: sam.get(f"/birthing-person/{bea.id}/labour/active"), lambda a: a.status != 403)
    assert error(no_labour) == (404, "labour_not_found")


# Convergence: two workers, four partitions, many subscriptions at once ---------------------------------------------

PERSONS, SUBSCRIBERS = 10, 30


def ready(worker: WorkerProcess) -> bool:
    try:
        with urllib.request.urlopen(f"{worker.url}/api/v1/ready", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def two_workers_on_four_partitions(
    kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[tuple[Stack, list[WorkerProcess]]]:
    """A deployment of its own: two worker processes sharing four partitions of every topic."""
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_TOPIC_PARTITIONS="4")
    with side_by_side(stack, "convergence-a", "convergence-b") as workers:
        deadline = time.monotonic() + 120
        while not all(ready(each) for each in workers):  # both at once: the first rebalances when the second joins
            assert time.monotonic() < deadline, "the two workers were not ready together in time"
            assert all(each.process is not None and each.process.poll() is None for each in workers)
            time.sleep(0.2)
        yield stack, workers


def via(caller: Caller, url: str) -> Caller:
    """The same user talking to another worker."""
    return Caller(caller.session, url, caller.token, caller.id)


async def call(caller: Caller, method: str, path: str, body: Any = None) -> Response:
    """A call that must succeed; a command keeps its Idempotency-Key across retries of a moving partition."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(20):
        answer = await caller.call(method, path, body, headers=headers)
        if answer.status not in (503, 504):
            assert answer.status in (200, 201), (method, path, answer.status, answer.body)
            return answer
        await asyncio.sleep(0.25)
    raise AssertionError(f"{method} {path} kept answering {answer.status}: {answer.body}")


async def test_many_subscribers_subscribing_at_once_through_two_workers_leave_both_sides_in_agreement(
    two_workers_on_four_partitions: tuple[Stack, list[WorkerProcess]], http: aiohttp.ClientSession
) -> None:
    stack, workers = two_workers_on_four_partitions
    urls = [each.url for each in workers]
    make = caller_factory(stack, http, urls[0])
    draw = random.Random(20250314)
    persons = [make(f"Person{n}", "Moyo") for n in range(PERSONS)]
    subscribers = [make(f"Sub{n}", "Lee", email=f"sub{n}@example.org") for n in range(SUBSCRIBERS)]

    def anywhere(caller: Caller) -> Caller:
        return via(caller, draw.choice(urls))

    await asyncio.gather(*(call(anywhere(p), "POST", "/birthing-person/register") for p in persons))
    at_once = {"approve_followers_at_once": True}  # each subscribe makes a follower, with no request to answer
    await asyncio.gather(*(call(anywhere(p), "PUT", "/birthing-person/settings", at_once) for p in persons))
    await asyncio.gather(
        *(call(anywhere(s), "POST", "/subscriber/register", {"contact_methods": ["email"]}) for s in subscribers)
    )
    tokens = {
        p.id: (await call(anywhere(p), "GET", "/birthing-person/subscription-token")).body["token"] for p in persons
    }

    async def story(sub: Caller, person_id: str, steps: int) -> None:
        """Subscribe; then maybe unsubscribe; then maybe subscribe again: each step through either worker."""
        subscribe = ("POST", f"/subscriber/subscribe_to/{person_id}", {"token": tokens[person_id]})
        unsubscribe = ("POST", "/subscriber/unsubscribe_from", {"birthing_person_id": person_id})
        for method, path, body in [subscribe, unsubscribe, subscribe][:steps]:
            await call(anywhere(sub), method, path, body)

    expected: set[tuple[str, str]] = set()
    stories = []
    for sub in subscribers:
        for person_id in draw.sample(sorted(tokens), k=draw.randint(1, 4)):
            steps = draw.choice([1, 1, 2, 3])
            stories.append(story(sub, person_id, steps))
            if steps != 2:
                expected.add((sub.id, person_id))
    started = time.monotonic()
    await asyncio.gather(*stories)
    spent = time.monotonic() - started

    # The subscriber's side is the source of truth and is answered at once.
    followed = await asyncio.gather(*(call(anywhere(s), "GET", "/subscriber/") for s in subscribers))
    subscriber_side = {
        (s.id, p)
        for s, answer in zip(subscribers, followed, strict=True)
        for p in answer.body["subscriber"]["subscribed_to"]
    }
    assert subscriber_side == expected

    # The persons' side follows through the processor: wait for it, then nothing lost and nothing extra.
    async def persons_side() -> set[tuple[str, str]]:
        answers = await asyncio.gather(*(call(anywhere(p), "GET", "/birthing-person/") for p in persons))
        records = [answer.body["birthing_person"] for answer in answers]
        return {(s, p.id) for p, record in zip(persons, records, strict=True) for s in record["subscribers"]}

    deadline = time.monotonic() + 30
    while await persons_side() != expected:
        assert time.monotonic() < deadline, f"not converged: {len(expected ^ await persons_side())} pairs differ"
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # and it stays so: no late change was still on its way
    person_side = await persons_side()
    assert person_side - expected == set(), "nothing extra"
    assert expected - person_side == set(), "nothing lost"

    # And the mirror's lists, read from PostgreSQL, come to agree with both.
    async def mirrored() -> set[tuple[str, str]]:
        answers = await asyncio.gather(
            *(call(anywhere(p), "GET", "/birthing-person/subscribers?limit=100") for p in persons)
        )
        return {(s, p.id) for p, answer in zip(persons, answers, strict=True) for s in subscribers_of(answer)}

    while await mirrored() != expected:
        assert time.monotonic() < deadline + 30, "the mirror did not catch up"
        await asyncio.sleep(0.2)
    print(f"{len(stories)} subscription stories ({len(expected)} kept) through two workers in {spent:.1f} s")


async def test_a_subscribe_checked_before_a_rotation_is_turned_away_at_the_person_and_undone(
    deployment: Deployment, person: MakeCaller
) -> None:
    bea, _ = await birthing_person(person)
    assert (await bea.post("/birthing-person/subscription-token/rotate")).status == 200  # now version 1
    sam = await subscriber(person, "Sam")
    # The subscribe of a worker that checked Sam's token against version 0, reaching Kafka after the rotation.
    stale = {"id": f"late-{uuid.uuid4().hex[:8]}", "type": "subscriber.subscribe_to", "aggregate_id": sam.id,
             "data": {"birthing_person_id": bea.id, "token_version": 0}}  # fmt: skip
    async with Kafka.of(deployment) as kafka:
        await kafka.producer.send_and_wait(
            deployment.topic("subscriber.commands"), json.dumps(stale).encode(), key=sam.id.encode()
        )
        [turned_away] = await kafka.read(
            deployment.topic("birthing_person.events"), 1, lambda event: event["data"].get("subscriber_id") == sam.id
        )
        [undone] = await kafka.read(
            deployment.topic("subscriber.events"),
            1,
            lambda event: event["aggregate_id"] == sam.id and event["type"] == "subscriber.unsubscribed_from",
        )

    assert turned_away["type"] == "birthing_person.subscriber_turned_away"
    assert undone["causation_id"] == turned_away["id"]
    # The event is out as the record is stored: the record follows within moments.
    mine = await eventually(lambda: sam.get("/subscriber/"), lambda a: a.body["subscriber"]["subscribed_to"] == [])
    assert mine.body["subscriber"]["subscribed_to"] == []
    assert (await bea.get("/birthing-person/")).body["birthing_person"]["subscribers"] == []
    assert error(await sam.get(f"/birthing-person/{bea.id}/labour/active")) == (403, "not_subscribed")
