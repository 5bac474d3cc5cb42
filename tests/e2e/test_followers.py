"""The birthing person decides who follows, through a running worker: a follower removed may come back with the
link, a blocked one cannot until unblocked, and rotating with `remove_followers` lets everyone go."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from tests.support.api import Caller, MakeCaller
from tests.support.notifications import approved
from tests.support.waiting import eventually


async def follows(caller: Caller, person_id: str) -> bool:
    return person_id in (await caller.get("/subscriber/")).body["subscriber"]["subscribed_to"]


async def follower(person: MakeCaller, name: str, bea: Caller, token: str) -> Caller:
    caller = person(name, "Lee", email=f"{name.lower()}@example.org")
    assert (await caller.post("/subscriber/register", {"contact_methods": ["email"]})).status == 201
    assert (await caller.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})).status == 200
    return caller


async def test_a_person_removes_blocks_and_unblocks_followers_and_lets_everyone_go(person: MakeCaller) -> None:
    bea = person("Bea", "Moyo")
    assert (await bea.post("/birthing-person/register")).status == 201
    token = (await bea.get("/birthing-person/subscription-token")).body["token"]
    sam, kim = await follower(person, "Sam", bea, token), await follower(person, "Kim", bea, token)
    await approved(bea, [sam.id, kim.id])  # once their requests reach the person's side through Kafka

    removed = await bea.delete(f"/birthing-person/subscribers/{sam.id}")
    assert removed.status == 200, removed.body
    assert removed.body["birthing_person"]["subscribers"] == [kim.id]
    await eventually(lambda: _not(follows(sam, bea.id)))
    assert (await sam.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})).status == 200  # may come back

    blocked = await bea.put(f"/birthing-person/blocked/{kim.id}")
    assert blocked.body["birthing_person"]["blocked"] == [kim.id]
    await eventually(lambda: _not(follows(kim, bea.id)))
    again = await kim.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})
    assert (again.status, again.body["code"]) == (403, "subscriber_blocked")
    assert (await bea.delete(f"/birthing-person/blocked/{kim.id}")).body["birthing_person"]["blocked"] == []
    assert (await kim.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})).status == 200

    rotated = await bea.post("/birthing-person/subscription-token/rotate", {"remove_followers": True})
    assert rotated.status == 200 and rotated.body["token"] != token
    assert (await bea.get("/birthing-person/")).body["birthing_person"]["subscribers"] == []
    await eventually(lambda: _neither(follows(sam, bea.id), follows(kim, bea.id)))
    nobody = await bea.delete(f"/birthing-person/subscribers/{sam.id}")
    assert (nobody.status, nobody.body["code"]) == (404, "subscriber_not_found")


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


async def _neither(first: Awaitable[bool], second: Awaitable[bool]) -> bool:
    return not any(await asyncio.gather(first, second))  # both asked each time, never one left unawaited
