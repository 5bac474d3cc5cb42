"""A family's story on two workers that share the partitions, each request sent to one or the other in turn: a labour
planned, begun, corrected, completed, downloaded and deleted; followers told, a failed SMS resent, a follower removed,
another blocked and unblocked, and everyone let go. Whichever worker gets a request, the answer is the same."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from labour_tracker.devstack.worker import WorkerProcess
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller, Response, caller_factory, iso
from tests.support.notifications import approved, new_number
from tests.support.stack import Stack, new_stack, ready, side_by_side
from tests.support.waiting import eventually

Twins = tuple[Caller, Caller]  # one user, through the first worker and through the second


@pytest.fixture(scope="module")
def two_workers_notifying(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[tuple[Stack, list[WorkerProcess]]]:
    """Two workers of one deployment sharing six partitions, sending SMS through the Twilio stand-in and emails to the
    SFTP server."""
    stack = new_stack(
        kafka,
        postgres,
        LABOUR_TRACKER_TOPIC_PARTITIONS="6",
        LABOUR_TRACKER_NOTIFY_RETRY_DELAY="0.2",
        **twilio_api.env(),
        **sftp.worker_env(),
    )
    with side_by_side(stack, "families-first", "families-second") as workers:
        yield stack, workers


@pytest.fixture
async def on_both(two_workers_notifying: tuple[Stack, list[WorkerProcess]]) -> AsyncIterator[list[MakeCaller]]:
    """Callers of each worker, once both are ready (their partitions settled)."""
    stack, workers = two_workers_notifying
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with asyncio.timeout(60):
            while not all([await ready(session, each) for each in workers]):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        yield [caller_factory(stack, session, each.url) for each in workers]


def twins(makers: list[MakeCaller], name: str, family_name: str = "Lee", **claims: Any) -> Twins:
    """One new user, as a caller of each worker."""
    user_id = f"{name.lower()}-{uuid.uuid4().hex[:8]}"
    first, second = (make(name, family_name, user_id=user_id, **claims) for make in makers)
    return first, second


def ok(answer: Response, status: int = 200) -> Any:
    assert answer.status == status, (answer.status, answer.body)
    return answer.body


def refused(answer: Response) -> tuple[int, str]:
    return answer.status, answer.body["code"]


def contractions(answer: Response) -> list[tuple[str, int | None, str | None]]:
    return [(c["id"], c["intensity"], c["notes"]) for c in ok(answer)["labour"]["contractions"]]


async def download(caller: Caller, labour_id: str, format_: str) -> tuple[int, str]:
    url = f"{caller.base_url}/api/v1/birthing-person/labours/{labour_id}/export?format={format_}"
    async with caller.session.get(url, headers={"Authorization": f"Bearer {caller.token}"}) as answer:
        return answer.status, await answer.text()


async def test_a_labour_planned_begun_corrected_downloaded_and_deleted_answers_alike_on_either_worker(
    on_both: list[MakeCaller],
) -> None:
    bea = twins(on_both, "Bea", "Moyo")
    ok(await bea[0].post("/birthing-person/register"), 201)

    due = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    plan = ok(await bea[0].post("/labour/plan", {"due_date": due, "first_labour": True, "name": "Little Bean"}))["plan"]
    assert ok(await bea[1].get("/labour/planned")) == {"plan": plan}
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    begun = ok(await bea[1].post("/labour/begin", {"start_time": iso(began)}))["labour"]
    assert (begun["id"], begun["name"], begun["first_labour"]) == (plan["id"], "Little Bean", True)
    assert refused(await bea[0].get("/labour/planned")) == (404, "labour_not_found")

    for n, minutes in enumerate((10, 20, 30)):  # each contraction started on one worker and ended on the other
        start = began + timedelta(minutes=minutes)
        ok(await bea[n % 2].post("/labour/contraction/start", {"start_time": iso(start)}))
        ended = await bea[(n + 1) % 2].put(
            "/labour/contraction/end", {"end_time": iso(start + timedelta(minutes=1)), "intensity": 5}
        )
    first, second, third = (each for each, _, _ in contractions(ended))

    # Each correction through one worker, read through the other.
    ok(await bea[0].put(f"/labour/contractions/{second}", {"intensity": 8, "notes": "back pain"}))
    assert contractions(await bea[1].get("/labour/active")) == [
        (first, 5, None), (second, 8, "back pain"), (third, 5, None)
    ]  # fmt: skip
    ok(await bea[1].delete(f"/labour/contractions/{first}"))
    assert [each for each, _, _ in contractions(await bea[0].get("/labour/active"))] == [second, third]
    ok(await bea[0].post("/labour/contractions/undo"))
    assert [each for each, _, _ in contractions(await bea[1].get("/labour/active"))] == [first, second, third]
    missed = began + timedelta(minutes=15)
    body = {"start_time": iso(missed), "end_time": iso(missed + timedelta(minutes=1)), "intensity": 4}
    ok(await bea[1].post("/labour/contractions", body))
    held = contractions(await bea[0].get("/labour/active"))
    assert [(intensity, notes) for _, intensity, notes in held] == [(5, None), (4, None), (8, "back pain"), (5, None)]
    assert ok(await bea[1].get("/labour/active/summary"))["summary"]["contraction_count"] == 4
    ok(await bea[0].put("/labour/complete", {"notes": "a girl"}))

    # The download, from the mirror, through either worker once it holds the completed labour.
    async def completed_download() -> dict[str, Any] | None:
        status, text = await download(bea[1], plan["id"], "json")
        exported: dict[str, Any] = json.loads(text)["labour"] if status == 200 else {}
        return exported if exported.get("end_time") and len(exported["contractions"]) == 4 else None

    exported = await eventually(completed_download, what="the completed labour in the mirror")
    assert [(c["id"], c["intensity"], c["notes"]) for c in exported["contractions"]] == held
    assert (exported["name"], exported["notes"]) == ("Little Bean", "a girl")
    assert json.loads((await download(bea[0], plan["id"], "json"))[1]) == {"labour": exported}
    status, text = await download(bea[0], plan["id"], "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and [(row["contraction_id"], row["intensity"]) for row in rows] == [
        (each, str(intensity)) for each, intensity, _ in held
    ]

    # A second labour, begun through one worker and completed through the other; each labour is then deleted through
    # a worker of its own (one of them forwards to the other), and is gone from the history and the downloads.
    again = ok(
        await bea[0].post("/labour/begin", {"first_labour": False, "start_time": iso(began + timedelta(hours=1))})
    )
    ok(await bea[1].put("/labour/complete", {}))
    second_labour = again["labour"]["id"]

    async def in_history(expected: set[str]) -> bool:
        return {each["id"] for each in ok(await bea[1].get("/birthing-person/labours"))["labours"]} == expected

    await eventually(lambda: in_history({plan["id"], second_labour}), what="both labours in the mirror")
    assert ok(await bea[1].delete(f"/birthing-person/labours/{plan['id']}"))["birthing_person"]["labours"] != []
    assert ok(await bea[0].delete(f"/birthing-person/labours/{second_labour}"))["birthing_person"]["labours"] == []

    async def gone(labour_id: str) -> bool:
        return (await download(bea[0], labour_id, "json"))[0] == (await download(bea[1], labour_id, "csv"))[0] == 404

    await eventually(lambda: in_history(set()), what="the deletions in the mirror")
    for each in (plan["id"], second_labour):
        await eventually(lambda each=each: gone(each), what="the downloads refused")
    assert json.loads((await download(bea[1], plan["id"], "csv"))[1])["code"] == "labour_not_found"


async def test_followers_told_resent_to_removed_blocked_and_let_go_alike_on_either_worker(
    on_both: list[MakeCaller], twilio_api: FakeTwilio
) -> None:
    bea = twins(on_both, "Bea", "Moyo")
    ok(await bea[0].post("/birthing-person/register"), 201)
    token = ok(await bea[1].get("/birthing-person/subscription-token"))["token"]
    sam = twins(on_both, "Sam", phone_number=new_number(), email=f"sam-{uuid.uuid4().hex[:6]}@example.org")
    kim = twins(on_both, "Kim", email=f"kim-{uuid.uuid4().hex[:6]}@example.org")
    refused_numbers = {"Pat": new_number(), "Rex": new_number()}  # Twilio refuses them until they are fixed
    pat, rex = (twins(on_both, name, phone_number=number) for name, number in refused_numbers.items())
    for number in refused_numbers.values():
        twilio_api.reject_number(number)
    for n, (follower, channel) in enumerate(((sam, "sms"), (kim, "email"), (pat, "sms"), (rex, "sms"))):
        ok(await follower[n % 2].post("/subscriber/register", {"contact_methods": [channel]}), 201)
        ok(await follower[(n + 1) % 2].post(f"/subscriber/subscribe_to/{bea[0].id}", {"token": token}))
    everyone = sorted(each[0].id for each in (sam, kim, pat, rex))

    async def followed_by(expected: list[str]) -> bool:
        return bool(ok(await bea[0].get("/birthing-person/"))["birthing_person"]["subscribers"] == expected)

    await approved(bea[1], everyone)  # approved through one worker, read through the other
    assert await followed_by(everyone)

    # What was sent, and a failed SMS resent through each worker, each asked of either.
    ok(await bea[1].post("/labour/begin", {"first_labour": True}))

    async def sent(caller: Caller, path: str, count: int) -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = ok(await caller.get(path))["notifications"]
        return found if len(found) == count and all(each["status"] != "pending" for each in found) else None

    about = await eventually(lambda: sent(bea[0], "/birthing-person/notifications", 4), what="four notifications")
    outcome = {each["subscriber_id"]: (each["channel"], each["status"], each["failure"]) for each in about}
    assert outcome == {
        sam[0].id: ("sms", "sent", None), kim[0].id: ("email", "sent", None),
        pat[0].id: ("sms", "failed", "refused"), rex[0].id: ("sms", "failed", "refused"),
    }  # fmt: skip
    assert ok(await bea[1].get("/birthing-person/notifications"))["notifications"] == about
    [to_sam] = ok(await sam[1].get("/subscriber/notifications"))["notifications"]
    assert (to_sam["birthing_person_id"], to_sam["channel"]) == (bea[0].id, "sms")
    assert ok(await sam[0].get("/subscriber/notifications"))["notifications"] == [to_sam]

    for number in refused_numbers.values():
        twilio_api.accept_number(number)
    failed = {each["subscriber_id"]: each["id"] for each in about if each["status"] == "failed"}
    resends = {
        follower[0].id: ok(await bea[n].post(f"/birthing-person/notifications/{failed[follower[0].id]}/resend"), 202)
        for n, follower in enumerate((pat, rex))
    }
    now_sent = await eventually(lambda: sent(bea[1], "/birthing-person/notifications", 6), what="the resends")
    for follower in (pat, rex):
        resent = next(each for each in now_sent if each["id"] == resends[follower[0].id]["notification_id"])
        assert (resent["subscriber_id"], resent["status"]) == (follower[0].id, "sent")
    assert [twilio_api.bodies_to(number) for number in refused_numbers.values()] == [
        ["Pat, Bea Moyo is going into labour"],
        ["Rex, Bea Moyo is going into labour"],
    ]
    for n, follower in enumerate((pat, rex)):  # asked again of the other worker
        again = await bea[1 - n].post(f"/birthing-person/notifications/{failed[follower[0].id]}/resend")
        assert refused(again) == (409, "already_resent")

    # Removed through one worker: the follower's reads are refused through the other.
    ok(await sam[0].get(f"/birthing-person/{bea[0].id}/labour/active"))
    ok(await bea[0].delete(f"/birthing-person/subscribers/{sam[0].id}"))
    assert refused(await sam[1].get(f"/birthing-person/{bea[0].id}/labour/active")) == (403, "not_subscribed")
    assert refused(await sam[0].get(f"/birthing-person/{bea[0].id}/labour/active/summary")) == (403, "not_subscribed")

    async def follows(caller: Caller) -> bool:
        return bea[0].id in ok(await caller.get("/subscriber/"))["subscriber"]["subscribed_to"]

    async def lets_go(caller: Caller) -> bool:
        return not await follows(caller)

    await eventually(lambda: lets_go(sam[1]), what="Sam's side letting go")

    # Blocked through one worker, turned away through the other until unblocked.
    ok(await bea[1].put(f"/birthing-person/blocked/{kim[0].id}"))
    await eventually(lambda: lets_go(kim[0]), what="Kim's side letting go")
    again = await kim[0].post(f"/subscriber/subscribe_to/{bea[0].id}", {"token": token})
    assert refused(again) == (403, "subscriber_blocked")
    assert ok(await bea[0].delete(f"/birthing-person/blocked/{kim[0].id}"))["birthing_person"]["blocked"] == []
    ok(await kim[1].post(f"/subscriber/subscribe_to/{bea[0].id}", {"token": token}))
    await approved(bea[0], [kim[0].id])
    assert await followed_by(sorted([kim[0].id, pat[0].id, rex[0].id]))
    ok(await kim[0].get(f"/birthing-person/{bea[0].id}/labour/active"))

    # Everyone let go with the rotation, through one worker; refused through the other.
    rotated = ok(await bea[1].post("/birthing-person/subscription-token/rotate", {"remove_followers": True}))
    assert rotated["token"] != token
    assert ok(await bea[0].get("/birthing-person/"))["birthing_person"]["subscribers"] == []
    for follower in (kim, pat, rex):
        assert refused(await follower[0].get(f"/birthing-person/{bea[0].id}/labour/active")) == (403, "not_subscribed")
        await eventually(lambda follower=follower: lets_go(follower[1]), what="each follower's side letting go")
    stale = await sam[1].post(f"/subscriber/subscribe_to/{bea[0].id}", {"token": token})
    assert refused(stale) == (403, "invalid_subscription_token")
