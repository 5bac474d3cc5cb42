"""The caps a person meets, on a worker with the documented defaults: commands a minute and labours begun in a day,
each refused with 429 and Retry-After, and counted on the record so that every worker agrees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.settings import Settings
from tests.support.api import Caller, MakeCaller, Response
from tests.support.stack import Deployment, new_stack

COMMANDS_PER_MINUTE = Settings.model_fields["commands_per_minute"].default
LABOURS_PER_DAY = Settings.model_fields["labours_per_day"].default


@pytest.fixture(scope="module")
def deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[Deployment]:
    defaults = {"LABOUR_TRACKER_COMMANDS_PER_MINUTE": str(COMMANDS_PER_MINUTE)}
    defaults["LABOUR_TRACKER_LABOURS_PER_DAY"] = str(LABOURS_PER_DAY)
    with Deployment.running(new_stack(kafka, postgres, **defaults), "caps") as deployed:
        yield deployed


def ok(answer: Response) -> Response:
    assert answer.status in (200, 201), (answer.status, answer.body)
    return answer


async def registered(person: MakeCaller) -> Caller:
    caller = person()
    ok(await caller.post("/birthing-person/register"))
    return caller


async def test_a_labour_past_the_labours_a_day_is_429_until_the_first_is_a_day_old(person: MakeCaller) -> None:
    bea = await registered(person)
    for _ in range(LABOURS_PER_DAY):
        ok(await bea.post("/labour/begin", {"first_labour": False}))
        ok(await bea.put("/labour/complete", {}))

    refused = await bea.post("/labour/begin", {"first_labour": False, "start_time": "2020-01-01T00:00:00Z"})

    assert (refused.status, refused.body["code"]) == (429, "labours_per_day_reached")
    assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
    assert (await bea.get("/labour/active")).status == 404, "no labour was begun"


async def test_commands_past_the_minutes_cap_are_429_and_subscribers_can_still_follow(person: MakeCaller) -> None:
    bea = await registered(person)
    ok(await bea.post("/labour/begin", {"first_labour": True}))
    sent = 2
    while sent < COMMANDS_PER_MINUTE:
        ok(await bea.post("/labour/contraction/start", {}))
        ok(await bea.put("/labour/contraction/end", {"intensity": 5}))
        sent += 2

    refused = await bea.post("/labour/contraction/start", {})

    assert (refused.status, refused.body["code"]) == (429, "too_many_commands")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    share = ok(await bea.get("/birthing-person/subscription-token")).body["token"]
    sam = person("Sam", "Lee", email="sam@example.org")
    ok(await sam.post("/subscriber/register", {"contact_methods": ["email"]}))
    ok(await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": share}))  # on her record, but not hers
