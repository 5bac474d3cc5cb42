"""What was sent, through a real worker, the Twilio stand-in and the real SFTP server: the person lists every
notification about their labour and a subscriber what they were sent, destinations masked; Twilio's signed delivery
status callback moves a sent SMS to delivered, forward only, and an unsigned one is refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller
from tests.support.notifications import (
    Follower,
    NotifyingDeployment,
    eventually,
    follower,
    labour_with_followers,
    ok,
)

# Twilio calls the service through the proxy in front of it: the URL it signs is the public one, not the worker's.
PUBLIC_CALLBACK = "https://labour.example.org/api/v1/twilio/status"


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    with NotifyingDeployment.running_on(
        kafka,
        postgres,
        twilio_api,
        sftp,
        "what-was-sent",
        LABOUR_TRACKER_TWILIO_STATUS_CALLBACK_URL=PUBLIC_CALLBACK,
        LABOUR_TRACKER_NOTIFY_RETRY_DELAY="0.2",
    ) as deployed:
        yield deployed


async def listed(caller: Caller, path: str, count: int) -> list[dict[str, Any]]:
    """The caller's list once the mirror holds `count` final notifications."""
    found: list[dict[str, Any]] = []

    async def fetch() -> None:
        nonlocal found
        found = (await ok(caller.get(path)))["notifications"]

    for _ in range(300):
        await fetch()
        if len(found) == count and all(each["status"] != "pending" for each in found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} did not list {count} notifications: {found}")


async def status_of(caller: Caller, notification_id: str) -> str:
    found = (await ok(caller.get("/birthing-person/notifications")))["notifications"]
    return str(next(each["status"] for each in found if each["id"] == notification_id))


async def test_the_person_and_each_subscriber_list_what_was_sent_with_destinations_masked(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    sam = await follower(person, "Sam", "sms")
    kim = await follower(person, "Kim", "email")
    bad = await follower(person, "Bad", "sms")
    deployment.twilio.reject_number(bad.phone)
    bea = await labour_with_followers(person, [sam, kim, bad])
    await ok(bea.post("/labour/begin", {"first_labour": True}))

    about = await listed(bea, "/birthing-person/notifications", 3)
    by_subscriber = {each["subscriber_id"]: each for each in about}
    assert by_subscriber[sam.caller.id] | {"id": "", "created_at": "", "updated_at": ""} == {
        "id": "", "created_at": "", "updated_at": "",
        "event_type": "labour.begun", "birthing_person_id": bea.id, "birthing_person_name": "Bea Moyo",
        "subscriber_id": sam.caller.id, "subscriber_name": "Sam Lee", "channel": "sms", "status": "sent",
        "failure": None, "destination": f"+44•••••••{sam.phone[-3:]}",
    }  # fmt: skip
    assert by_subscriber[kim.caller.id]["destination"] == "k•••@example.org"
    assert by_subscriber[kim.caller.id]["channel"] == "email"
    refused = by_subscriber[bad.caller.id]
    assert (refused["status"], refused["failure"]) == ("failed", "refused")
    text = json.dumps(about)
    for each in (sam, kim, bad):
        assert each.phone not in text and each.email not in text, "never the full destination"

    mine = await listed(sam.caller, "/subscriber/notifications", 1)
    assert [(each["id"], each["birthing_person_name"]) for each in mine] == [
        (by_subscriber[sam.caller.id]["id"], "Bea Moyo")
    ]
    assert (await ok(kim.caller.get("/subscriber/notifications")))["notifications"][0]["subscriber_id"] == kim.caller.id

    first = await ok(bea.get("/birthing-person/notifications?limit=2"))
    rest = await ok(bea.get(f"/birthing-person/notifications?limit=2&after={first['next']}"))
    assert len(first["notifications"]) == 2 and len(rest["notifications"]) == 1 and rest["next"] is None
    assert {each["id"] for each in first["notifications"] + rest["notifications"]} == set(by_subscriber_ids(about))
    assert (await bea.get("/subscriber/notifications")).status == 404, "a person who is no subscriber"


def by_subscriber_ids(rows: list[dict[str, Any]]) -> list[str]:
    return [each["id"] for each in rows]


async def test_a_signed_delivery_report_moves_a_sent_sms_to_delivered_and_nothing_moves_it_back(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    sam = await follower(person, "Sam", "sms")
    bea = await labour_with_followers(person, [sam])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    [notification] = await listed(bea, "/birthing-person/notifications", 1)
    twilio = deployment.twilio
    [message] = twilio.sent_to(sam.phone)
    assert message.status_callback == f"{PUBLIC_CALLBACK}?notification={notification['id']}"
    assert message.sid is not None
    worker = deployment.worker.url

    assert await twilio.report(message.sid, "delivered", reach=worker, signed=False) == 403
    assert await twilio.report(message.sid, "delivered", reach=worker, signature="bm90IGl0") == 403
    assert await twilio.report(message.sid, "sent", reach=worker) == 204  # on the way: nothing moves
    await asyncio.sleep(1.0)
    assert await status_of(bea, notification["id"]) == "sent", "a refused or passing report changes nothing"

    assert await twilio.report(message.sid, "delivered", reach=worker) == 204
    for _ in range(300):
        if await status_of(bea, notification["id"]) == "delivered":
            break
        await asyncio.sleep(0.1)
    assert await status_of(bea, notification["id"]) == "delivered"
    assert await twilio.report(message.sid, "delivered", reach=worker) == 204  # Twilio calls again
    assert await twilio.report(message.sid, "undelivered", reach=worker) == 204  # late: delivered is final
    await asyncio.sleep(1.0)
    assert await status_of(bea, notification["id"]) == "delivered"
    assert len(twilio.sent_to(sam.phone)) == 1, "a report sends nothing"


async def test_a_failed_sms_is_resent_once_after_the_number_is_accepted_again_and_only_by_the_person(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    pat, bea = await labour_whose_sms_fails(deployment, person, "Pat")
    twilio = deployment.twilio
    [failed] = await listed(bea, "/birthing-person/notifications", 1)
    assert (failed["status"], failed["failure"]) == ("failed", "refused")
    assert twilio.bodies_to(pat.phone) == []
    resend_path = f"/birthing-person/notifications/{failed['id']}/resend"

    other = person("Ana")
    await ok(other.post("/birthing-person/register"))
    for path in (resend_path, "/birthing-person/notifications/not-an-id/resend"):
        refused = await other.post(path)
        assert (refused.status, refused.body["code"]) == (404, "notification_not_found"), path

    twilio.accept_number(pat.phone)
    first = await bea.post(resend_path, headers={"Idempotency-Key": "resend-1"})
    assert first.status == 202, first.body
    again = await bea.post(resend_path, headers={"Idempotency-Key": "resend-1"})  # retried at once
    assert again.status in (202, 409), again.body
    if again.status == 202:
        assert again.body["notification_id"] == first.body["notification_id"], "the same resend, asked again"

    listed_now = await listed(bea, "/birthing-person/notifications", 2)
    resent = next(each for each in listed_now if each["id"] == first.body["notification_id"])
    assert (resent["status"], resent["channel"], resent["subscriber_id"]) == ("sent", "sms", pat.caller.id)
    assert twilio.bodies_to(pat.phone) == ["Pat, Bea Moyo is going into labour"]

    later = await bea.post(resend_path)
    assert (later.status, later.body["code"]) == (409, "already_resent")
    of_the_resend = await bea.post(f"/birthing-person/notifications/{resent['id']}/resend")
    assert (of_the_resend.status, of_the_resend.body["code"]) == (409, "is_a_resend")
    await asyncio.sleep(1.0)
    assert len(twilio.bodies_to(pat.phone)) == 1, "the SMS arrived once"
    assert len((await ok(bea.get("/birthing-person/notifications")))["notifications"]) == 2


async def labour_whose_sms_fails(
    deployment: NotifyingDeployment, person: MakeCaller, name: str
) -> tuple[Follower, Caller]:
    """Bea in labour, followed by SMS at a number Twilio refuses for now."""
    fan = await follower(person, name, "sms")
    deployment.twilio.reject_number(fan.phone)
    bea = await labour_with_followers(person, [fan])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    return fan, bea


async def failed_update_news(bea: Caller, listed_count: int) -> str:
    """The resend path of the failed notification of the person's update, once the mirror lists it."""
    found = await listed(bea, "/birthing-person/notifications", listed_count)
    [failed] = [each for each in found if each["event_type"] == "labour.update_posted"]
    assert failed["status"] == "failed", failed
    return f"/birthing-person/notifications/{failed['id']}/resend"


async def test_a_failed_announcement_is_resent_with_the_persons_message_as_it_reads_now(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    pat, bea = await labour_whose_sms_fails(deployment, person, "Pat")
    twilio = deployment.twilio
    posted = await ok(bea.post("/labour/updates", {"kind": "announcement", "message": "Waters broke, heading in"}))
    resend_path = await failed_update_news(bea, 2)
    [update] = posted["labour"]["updates"]
    await ok(bea.put(f"/labour/updates/{update['id']}", {"message": "Waters broke, at the hospital now"}))

    twilio.accept_number(pat.phone)
    resent = await bea.post(resend_path)

    assert resent.status == 202, resent.body
    news = "Pat, news from Bea: Waters broke, at the hospital now"
    await eventually(lambda: twilio.bodies_to(pat.phone) == [news], what="the announcement resent with its message")


async def test_a_failed_quick_update_is_resent_in_its_moments_words(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    kim, bea = await labour_whose_sms_fails(deployment, person, "Kim")
    twilio = deployment.twilio
    await ok(bea.post("/labour/updates/quick", {"moment": "waters_broken"}))
    resend_path = await failed_update_news(bea, 2)

    twilio.accept_number(kim.phone)
    resent = await bea.post(resend_path)

    assert resent.status == 202, resent.body
    words = "Kim, Bea Moyo's waters have broken"
    await eventually(lambda: twilio.bodies_to(kim.phone) == [words], what="the quick update resent in its words")


async def test_an_announcement_the_person_deleted_is_not_resent(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    ola, bea = await labour_whose_sms_fails(deployment, person, "Ola")
    twilio = deployment.twilio
    posted = await ok(bea.post("/labour/updates", {"kind": "announcement", "message": "Sent to the wrong people"}))
    resend_path = await failed_update_news(bea, 2)
    [update] = posted["labour"]["updates"]
    await ok(bea.delete(f"/labour/updates/{update['id']}"))

    twilio.accept_number(ola.phone)
    refused = await bea.post(resend_path)

    assert (refused.status, refused.body["code"]) == (409, "news_withdrawn")
    await asyncio.sleep(1.0)
    assert twilio.bodies_to(ola.phone) == [], "nothing was sent"
    assert len((await ok(bea.get("/birthing-person/notifications")))["notifications"]) == 2
