"""The caps a person meets, on a worker with the documented defaults: commands a minute and labours begun in a day,
each refused with 429 and Retry-After, and counted on the record so that every worker agrees; and messages to one
phone number an hour, however many accounts carry it, past which nothing more is sent there and each notification
is recorded as failed with the cap as its reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from labour_tracker.domain.subscriber.confirmation import CODES_SENT_KEPT
from labour_tracker.settings import Settings
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller, Response
from tests.support.kafka import Kafka
from tests.support.notifications import Follower, NotifyingDeployment, eventually, labour_with_followers, new_number

COMMANDS_PER_MINUTE = Settings.model_fields["commands_per_minute"].default
LABOURS_PER_DAY = Settings.model_fields["labours_per_day"].default
MESSAGES_PER_DESTINATION = Settings.model_fields["messages_per_destination_per_hour"].default


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    defaults = {"LABOUR_TRACKER_COMMANDS_PER_MINUTE": str(COMMANDS_PER_MINUTE)}
    defaults["LABOUR_TRACKER_LABOURS_PER_DAY"] = str(LABOURS_PER_DAY)
    defaults["LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR"] = str(MESSAGES_PER_DESTINATION)
    with NotifyingDeployment.running_on(kafka, postgres, twilio_api, sftp, "caps", **defaults) as deployed:
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


def capped(event: dict[str, Any]) -> bool:
    return event["type"] == "notification.failed" and event["data"]["reason"].startswith("destination_cap_reached: ")


async def test_one_number_on_many_accounts_gets_its_messages_an_hour_and_no_more(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    """Accounts made with someone else's number, each asking for every confirmation code it may, and then a
    follower with that number: past the cap, nothing more reaches the number, and each message is recorded failed."""
    number, twilio = new_number(), deployment.twilio
    accounts = [person("Mallory", "M", phone_number=number, verified=False) for _ in range(7)]
    asked = 0
    for account in accounts:
        ok(await account.post("/subscriber/register", {"contact_methods": ["sms"]}))
        for _ in range(CODES_SENT_KEPT):
            ok(await account.post("/subscriber/confirmation-code", {"channel": "sms"}))
            asked += 1
    assert asked > MESSAGES_PER_DESTINATION
    ids = {account.id for account in accounts}
    async with Kafka.of(deployment) as kafka:
        outcomes = await kafka.read(
            deployment.topic("notification.events"), asked, lambda e: e["data"]["subscriber_id"] in ids
        )
        await eventually(lambda: len(twilio.bodies_to(number)) >= MESSAGES_PER_DESTINATION, what="the codes")

        sam = person("Sam", "Lee", phone_number=number)  # the number's owner, whose issuer verified it
        ok(await sam.post("/subscriber/register", {"contact_methods": ["sms"]}))
        bea = await labour_with_followers(person, [Follower(sam, number, "", ("sms",))])
        ok(await bea.post("/labour/begin", {"first_labour": True}))
        (news,) = await kafka.read(
            deployment.topic("notification.events"), 1, lambda e: e["data"]["subscriber_id"] == sam.id
        )

    withheld = [each for each in outcomes if capped(each)]
    assert len(withheld) == asked - MESSAGES_PER_DESTINATION
    assert all(each["data"]["attempts"] == 0 for each in withheld), "Twilio was never asked"
    assert [each["type"] for each in outcomes].count("notification.sent") == MESSAGES_PER_DESTINATION
    assert capped(news) and news["data"]["event_type"] == "labour.begun"
    assert f"{MESSAGES_PER_DESTINATION} messages an hour" in news["data"]["reason"]
    assert len(twilio.bodies_to(number)) == MESSAGES_PER_DESTINATION, "nothing more reached the number"
