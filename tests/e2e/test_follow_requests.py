"""Follow requests and roles through a running worker: a subscribe is a request the person approves, in a role, or
rejects; birth partners record contractions for the person, export the labour and hear every alert, friends and
family hear that labour began and that it is complete; a pending request hears nothing and reads nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import Caller, MakeCaller, Response, caller_factory, iso
from tests.support.kafka import Kafka
from tests.support.notifications import approved, ok
from tests.support.stack import Deployment, Stack, ready
from tests.support.waiting import eventually

BEGUN, COMPLETED = "labour.begun", "labour.completed"
HOSPITAL, PREPARE, URGENT = (
    "labour.hospital_recommended",
    "labour.prepare_for_hospital_recommended",
    "labour.urgent_attention_advised",
)


async def registered(person: MakeCaller, name: str) -> Caller:
    caller = person(name, "Lee", email=f"{name.lower()}@example.org")
    await ok(caller.post("/subscriber/register", {"contact_methods": ["email"]}))
    return caller


async def subscribed(subscriber: Caller, bea: Caller) -> None:
    token = (await ok(bea.get("/birthing-person/subscription-token")))["token"]
    await ok(subscriber.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token}))


async def asking(bea: Caller, ids: list[str]) -> dict[str, Any]:
    """The person's record once these follow requests have reached it through Kafka."""

    async def arrived() -> dict[str, Any] | None:
        record: dict[str, Any] = (await ok(bea.get("/birthing-person/")))["birthing_person"]
        return record if set(ids) <= set(record["follow_requests"]) else None

    return await eventually(arrived, what="the follow requests reaching the person")


def error(answer: Response) -> tuple[int, str]:
    return answer.status, answer.body["code"]


async def requests_about(deployment: Deployment, person_id: str) -> set[tuple[str, str]]:
    """Every notification request about the person on the topic now, as (subscriber id, event type)."""
    topic = deployment.topic("notifications.requests")
    partitions = [TopicPartition(topic, n) for n in range(int(deployment.stack.env["LABOUR_TRACKER_TOPIC_PARTITIONS"]))]
    consumer = AIOKafkaConsumer(bootstrap_servers=deployment.stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"])
    await consumer.start()
    found: set[tuple[str, str]] = set()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(20):
            while any([await consumer.position(each) < ends[each] for each in partitions]):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        request = json.loads(record.value)
                        if request["birthing_person_id"] == person_id:
                            found.add((request["subscriber_id"], request["event_type"]))
    finally:
        await consumer.stop()
    return found


async def partner_times_contractions(partner: Caller, bea: Caller) -> None:
    """An hour of 3-1-1 (back-dated) and then one contraction over two minutes, recorded by a birth partner for the
    person: the prepare, hospital and urgent-attention alerts."""
    on_her_behalf = f"/birthing-person/{bea.id}/labour"
    start = datetime.now(UTC) - timedelta(minutes=90)
    for _ in range(21):
        await ok(partner.post(f"{on_her_behalf}/contraction/start", {"start_time": iso(start), "intensity": 7}))
        ended = {"end_time": iso(start + timedelta(seconds=70)), "intensity": 7}
        await ok(partner.put(f"{on_her_behalf}/contraction/end", ended))
        start += timedelta(minutes=3)
    await ok(partner.post(f"{on_her_behalf}/contraction/start", {"start_time": iso(start), "intensity": 8}))
    await ok(
        partner.put(f"{on_her_behalf}/contraction/end", {"end_time": iso(start + timedelta(minutes=3)), "intensity": 9})
    )


async def test_a_pending_request_hears_nothing_a_friend_hears_begun_and_completed_and_a_partner_records_and_exports(
    deployment: Deployment, person: MakeCaller
) -> None:
    bea = person("Bea", "Moyo")
    await ok(bea.post("/birthing-person/register"))
    sam, pat, zed = await registered(person, "Sam"), await registered(person, "Pat"), await registered(person, "Zed")
    for each in (sam, pat, zed):
        await subscribed(each, bea)

    record = await asking(bea, [sam.id, pat.id, zed.id])
    assert (record["subscribers"], record["roles"], record["approve_followers_at_once"]) == ([], {}, False)
    names = await eventually(lambda: _named_requests(bea), what="the requesters' names in the mirror")
    assert names == [(sam.id, "Sam"), (pat.id, "Pat"), (zed.id, "Zed")]  # in the order they asked
    pending = await eventually(lambda: _subscriptions_of(sam), what="Sam's pending subscription in the mirror")
    assert pending == [
        {
            "id": bea.id,
            "first_name": "Bea",
            "last_name": "Moyo",
            "contact_methods": ["email"],
            "status": "pending",
            "role": None,
        }
    ]
    assert error(await sam.get(f"/birthing-person/{bea.id}/labour/active")) == (403, "follow_request_pending")

    friend = await ok(bea.post(f"/birthing-person/follow-requests/{sam.id}/approve", {"role": "friends_and_family"}))
    assert friend["birthing_person"]["roles"] == {sam.id: "friends_and_family"}
    partner = await ok(bea.post(f"/birthing-person/follow-requests/{pat.id}/approve", {"role": "birth_partner"}))
    assert partner["birthing_person"]["follow_requests"] == [zed.id]
    assert partner["birthing_person"]["roles"] == {sam.id: "friends_and_family", pat.id: "birth_partner"}
    again = await bea.post(f"/birthing-person/follow-requests/{zed.id}/approve", {"role": "sibling"})
    assert error(again) == (422, "validation_error")
    nobody = await bea.post(f"/birthing-person/follow-requests/{bea.id}/reject", {})
    assert error(nobody) == (404, "follow_request_not_found")

    began = iso(datetime.now(UTC) - timedelta(hours=2))
    await ok(bea.post("/labour/begin", {"first_labour": True, "start_time": began}))  # Zed still asking: not told
    assert error(await zed.get(f"/birthing-person/{bea.id}/labour/active")) == (403, "follow_request_pending")
    assert (await sam.get(f"/birthing-person/{bea.id}/labour/active")).status == 200  # a friend reads the labour
    tried = await sam.post(f"/birthing-person/{bea.id}/labour/contraction/start", {"intensity": 5})
    assert error(tried) == (403, "not_birth_partner")
    await partner_times_contractions(pat, bea)
    active = await ok(bea.get("/labour/active"))
    assert len(active["labour"]["contractions"]) == 22  # recorded for her, on her record

    # The partner posts a status update for her, and sees neither her private notes nor may announce for her.
    await ok(bea.post("/labour/updates", {"kind": "private_note", "message": "scared of the drive"}))
    status = {"kind": "status_update", "message": "6 cm, all calm"}
    for_her = (await ok(pat.post(f"/birthing-person/{bea.id}/labour/updates", status)))["labour"]["updates"]
    assert [(each["kind"], each["posted_by"]) for each in for_her] == [("status_update", pat.id)]
    announcing = await pat.post(f"/birthing-person/{bea.id}/labour/updates", {**status, "kind": "announcement"})
    assert error(announcing) == (403, "not_allowed_for_birth_partner")
    read = (await ok(sam.get(f"/birthing-person/{bea.id}/labour/active")))["labour"]["updates"]
    assert [(each["message"], each["posted_by"]) for each in read] == [("6 cm, all calm", pat.id)]
    hers = [each["kind"] for each in (await ok(bea.get("/labour/active")))["labour"]["updates"]]
    assert hers == ["private_note", "status_update"]
    assert {"hospital", "urgent_attention"} <= set(active["labour"]["alerts"])
    labour_id = active["labour"]["id"]
    await ok(bea.put("/labour/complete", {}))

    told = await requests_about(deployment, bea.id)
    assert {event for who, event in told if who == sam.id} == {BEGUN, COMPLETED}
    assert {event for who, event in told if who == pat.id} == {BEGUN, PREPARE, HOSPITAL, URGENT, COMPLETED}
    assert not any(who == zed.id for who, _ in told), "a pending request hears nothing"

    exported = await eventually(lambda: _exported(pat, bea.id, labour_id), what="the partner's export from the mirror")
    assert len(exported["labour"]["contractions"]) == 22
    assert [each["kind"] for each in exported["labour"]["updates"]] == ["status_update"], "her private note stays hers"
    own = await eventually(lambda: _exported(bea, None, labour_id), what="her own export")
    assert [each["kind"] for each in own["labour"]["updates"]] == ["private_note", "status_update"]
    friend_export = await sam.get(f"/birthing-person/{bea.id}/labours/{labour_id}/export?format=json")
    assert error(friend_export) == (403, "not_birth_partner")
    stranger_export = await zed.get(f"/birthing-person/{bea.id}/labours/{labour_id}/export?format=json")
    assert error(stranger_export) == (404, "labour_not_found")

    listed = await eventually(lambda: _subscribers_of(bea, 2), what="both followers in the mirror")
    assert [(each["id"], each["role"]) for each in listed] == sorted(
        [(sam.id, "friends_and_family"), (pat.id, "birth_partner")]
    )
    mine = await eventually(lambda: _approved_subscriptions_of(pat), what="Pat's approval in the mirror")
    assert (mine[0]["status"], mine[0]["role"]) == ("approved", "birth_partner")

    demoted = await ok(bea.put(f"/birthing-person/subscribers/{pat.id}/role", {"role": "friends_and_family"}))
    assert demoted["birthing_person"]["roles"][pat.id] == "friends_and_family"
    assert error(await pat.post(f"/birthing-person/{bea.id}/labour/contractions/undo")) == (403, "not_birth_partner")
    assert error(await bea.put(f"/birthing-person/subscribers/{zed.id}/role", {"role": "birth_partner"})) == (
        404,
        "subscriber_not_found",
    )


async def test_a_rejected_request_lets_the_subscribers_side_go_and_the_setting_makes_friends_at_once(
    deployment: Deployment, person: MakeCaller
) -> None:
    bea = person("Bea", "Moyo")
    await ok(bea.post("/birthing-person/register"))
    kim = await registered(person, "Kim")
    await subscribed(kim, bea)
    await asking(bea, [kim.id])

    rejected = await ok(bea.post(f"/birthing-person/follow-requests/{kim.id}/reject", {}))
    assert (rejected["birthing_person"]["follow_requests"], rejected["birthing_person"]["subscribers"]) == ([], [])
    async with Kafka.of(deployment) as kafka:
        [event] = await kafka.read(
            deployment.topic("birthing_person.events"),
            1,
            lambda e: e["aggregate_id"] == bea.id and e["type"] == "birthing_person.follow_request_rejected",
        )
        [let_go] = await kafka.read(
            deployment.topic("subscriber.events"),
            1,
            lambda e: e["aggregate_id"] == kim.id and e["causation_id"] == event["id"],
        )
    assert event["data"]["subscriber_id"] == kim.id
    assert let_go["type"] == "subscriber.birthing_person_forgotten"
    await eventually(lambda: _following(kim, []), what="Kim's side letting go")

    settings = await ok(bea.put("/birthing-person/settings", {"approve_followers_at_once": True}))
    assert settings["birthing_person"]["approve_followers_at_once"] is True
    await subscribed(kim, bea)  # may ask again with the link: and now follows at once, as friends and family
    record = await approved(bea, [kim.id], role="friends_and_family")
    assert (record["roles"], record["follow_requests"]) == ({kim.id: "friends_and_family"}, [])

    await ok(bea.put("/birthing-person/settings", {"approve_followers_at_once": False}))
    lee = await registered(person, "Lee")
    await subscribed(lee, bea)
    await asking(bea, [lee.id])
    blocked = await ok(bea.post(f"/birthing-person/follow-requests/{lee.id}/reject", {"block": True}))
    assert blocked["birthing_person"]["blocked"] == [lee.id]
    await eventually(lambda: _following(lee, []), what="Lee's side letting go")
    token = (await ok(bea.get("/birthing-person/subscription-token")))["token"]
    assert error(await lee.post(f"/subscriber/subscribe_to/{bea.id}", {"token": token})) == (403, "subscriber_blocked")


async def test_a_partner_cannot_be_answered_with_the_persons_outcome_by_reusing_her_command_id(
    person: MakeCaller,
) -> None:
    bea = person("Bea", "Moyo")
    await ok(bea.post("/birthing-person/register"))
    pat = await registered(person, "Pat")
    await subscribed(pat, bea)
    await asking(bea, [pat.id])
    await ok(bea.post(f"/birthing-person/follow-requests/{pat.id}/approve", {"role": "birth_partner"}))
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    key = {"Idempotency-Key": "her-own-start"}
    await ok(bea.post("/labour/contraction/start", {"intensity": 4}, headers=key))

    replayed = await pat.post(f"/birthing-person/{bea.id}/labour/contraction/start", {"intensity": 4}, headers=key)

    assert error(replayed) == (422, "idempotency_key_reused")
    again = await bea.post("/labour/contraction/start", {"intensity": 4}, headers=key)
    assert again.status == 200, "her own retry is answered as before"


async def test_a_birth_partner_records_for_the_person_through_either_of_two_workers(
    two_workers: tuple[Stack, list[WorkerProcess]],
) -> None:
    stack, workers = two_workers
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with asyncio.timeout(60):  # both have joined and the partitions are settled
            while not all([await ready(session, each) for each in workers]):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        first, second = (caller_factory(stack, session, each.url) for each in workers)
        bea = first("Bea", "Moyo")
        await ok(bea.post("/birthing-person/register"))
        pat = await registered(second, "Pat")
        pat_on_first = Caller(session, workers[0].url, pat.token, pat.id)
        await subscribed(pat, Caller(session, workers[1].url, bea.token, bea.id))
        await asking(bea, [pat.id])
        await ok(bea.post(f"/birthing-person/follow-requests/{pat.id}/approve", {"role": "birth_partner"}))
        await ok(bea.post("/labour/begin", {"first_labour": True}))

        for partner in (pat, pat_on_first, pat):  # each worker sends it to the one that owns her record
            await ok(partner.post(f"/birthing-person/{bea.id}/labour/contraction/start", {"intensity": 6}))
            await ok(partner.put(f"/birthing-person/{bea.id}/labour/contraction/end", {"intensity": 7}))

        for reader in (bea, Caller(session, workers[1].url, bea.token, bea.id)):
            active = await ok(reader.get("/labour/active"))
            assert [c["intensity"] for c in active["labour"]["contractions"]] == [7, 7, 7]


async def _named_requests(bea: Caller) -> list[tuple[str, str | None]] | None:
    found = (await ok(bea.get("/birthing-person/follow-requests")))["follow_requests"]
    named = [(each["id"], each["first_name"]) for each in found]
    return named if len(named) == 3 and all(name for _, name in named) else None


async def _subscriptions_of(caller: Caller) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = (await ok(caller.get("/subscriber/subscriptions")))["subscriptions"]
    return found or None


async def _approved_subscriptions_of(caller: Caller) -> list[dict[str, Any]] | None:
    found = await _subscriptions_of(caller)
    return found if found and found[0]["status"] == "approved" else None


async def _subscribers_of(bea: Caller, count: int) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = (await ok(bea.get("/birthing-person/subscribers")))["subscribers"]
    return found if len(found) == count else None


async def _exported(reader: Caller, person_id: str | None, labour_id: str) -> dict[str, Any] | None:
    """The completed labour's download, once the mirror has it all: the person's own (`person_id` None) or theirs."""
    whose = "" if person_id is None else f"/{person_id}"
    answer = await reader.get(f"/birthing-person{whose}/labours/{labour_id}/export?format=json")
    if answer.status != 200 or answer.body["labour"]["end_time"] is None:
        return None
    body: dict[str, Any] = answer.body
    return body


async def _following(caller: Caller, expected: list[str]) -> bool:
    return bool((await ok(caller.get("/subscriber/")))["subscriber"]["subscribed_to"] == expected)
