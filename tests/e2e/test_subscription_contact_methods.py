"""A subscriber chooses how to be told about each person they follow, through a real worker, the Twilio stand-in and
the real SFTP server: news of one person by SMS only, of the other by email only, whatever the account's channels."""

from __future__ import annotations

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
    approved,
    follower,
    labour_with_followers,
    ok,
    subjects_to,
)
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    with NotifyingDeployment.running_on(
        kafka, postgres, twilio_api, sftp, "subscription-channels", LABOUR_TRACKER_NOTIFY_RETRY_DELAY="0.2"
    ) as deployed:
        yield deployed


async def listed(caller: Caller, path: str, key: str, expected: dict[str, list[str]]) -> bool:
    """Whether the mirror's list at `path` shows exactly `expected` (channels by id) yet."""
    rows: list[dict[str, Any]] = (await ok(caller.get(path)))[key]
    return {row["id"]: row["contact_methods"] for row in rows} == expected


def error(answer: Any) -> tuple[int, str]:
    return answer.status, answer.body["code"]


async def test_a_subscriber_gets_one_persons_news_by_sms_only_and_the_others_by_email_only(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    sam: Follower = await follower(person, "Sam", "sms", "email")  # his account: both, each confirmed
    bea = await labour_with_followers(person, [sam])  # follows her as his account says, then chooses SMS
    chosen = await ok(
        sam.caller.put(f"/subscriber/subscriptions/{bea.id}/contact-methods", {"contact_methods": ["sms"]})
    )
    assert chosen["subscriber"]["subscription_contact_methods"] == {bea.id: ["sms"]}
    assert chosen["subscriber"]["contact_methods"] == ["email", "sms"]

    ada = person("Ada", "Okoro")  # followed with a choice made as he subscribes
    await ok(ada.post("/birthing-person/register"))
    token = (await ok(ada.get("/birthing-person/subscription-token")))["token"]
    followed = await ok(
        sam.caller.post(f"/subscriber/subscribe_to/{ada.id}", {"token": token, "contact_methods": ["email"]})
    )
    assert followed["subscriber"]["subscription_contact_methods"] == {bea.id: ["sms"], ada.id: ["email"]}
    await approved(ada, [sam.caller.id])

    # Refused: a channel without its destination, none at all, or a person he does not follow.
    no_phone = person("Kim", "Lee", email="kim@example.org")
    await ok(no_phone.post("/subscriber/register", {"contact_methods": ["email"]}))
    without_number = await no_phone.post(
        f"/subscriber/subscribe_to/{ada.id}", {"token": token, "contact_methods": ["sms"]}
    )
    assert error(without_number) == (400, "phone_number_required")
    assert error(
        await sam.caller.put(f"/subscriber/subscriptions/{ada.id}/contact-methods", {"contact_methods": []})
    ) == (
        400,
        "contact_methods_required",
    )
    stranger = f"/subscriber/subscriptions/{no_phone.id}/contact-methods"
    assert error(await sam.caller.put(stranger, {"contact_methods": ["sms"]})) == (400, "not_subscribed")

    # Each side's list shows the subscription's channels.
    await eventually(
        lambda: listed(sam.caller, "/subscriber/subscriptions", "subscriptions", {bea.id: ["sms"], ada.id: ["email"]}),
        what="Sam's subscriptions with their channels",
    )
    await eventually(lambda: listed(bea, "/birthing-person/subscribers", "subscribers", {sam.caller.id: ["sms"]}))
    await eventually(lambda: listed(ada, "/birthing-person/subscribers", "subscribers", {sam.caller.id: ["email"]}))

    await ok(bea.post("/labour/begin", {"first_labour": True}))
    await ok(ada.post("/labour/begin", {"first_labour": False}))
    twilio, sftp = deployment.twilio, deployment.sftp
    await eventually(lambda: _at_once(len(twilio.bodies_to(sam.phone)) == 1), what="Sam's SMS about Bea")
    await eventually(lambda: _at_once(len(subjects_to(sftp, sam.email)) == 1), what="Sam's email about Ada")

    # He changes his mind about Bea: her completion comes by email alone.
    await ok(sam.caller.put(f"/subscriber/subscriptions/{bea.id}/contact-methods", {"contact_methods": ["email"]}))
    await ok(bea.put("/labour/complete", {}))
    await eventually(
        lambda: _at_once(len(subjects_to(sftp, sam.email)) == 2), what="Sam's email about Bea's completion"
    )

    assert twilio.bodies_to(sam.phone) == ["Sam, Bea Moyo is going into labour"]
    assert subjects_to(sftp, sam.email) == ["Ada Okoro is going into labour", "Bea Moyo has completed labour"]
    sent = (await ok(sam.caller.get("/subscriber/notifications")))["notifications"]
    assert sorted((each["birthing_person_id"], each["event_type"], each["channel"]) for each in sent) == sorted(
        [(bea.id, "labour.begun", "sms"), (ada.id, "labour.begun", "email"), (bea.id, "labour.completed", "email")]
    )

    # Unsubscribing forgets the choice: followed again without one, Ada's news goes by his account's channels.
    await ok(sam.caller.post("/subscriber/unsubscribe_from", {"birthing_person_id": ada.id}))
    again = await ok(sam.caller.post(f"/subscriber/subscribe_to/{ada.id}", {"token": token}))
    assert again["subscriber"]["subscription_contact_methods"] == {bea.id: ["email"]}
    await approved(ada, [sam.caller.id])
    await eventually(
        lambda: listed(ada, "/birthing-person/subscribers", "subscribers", {sam.caller.id: ["email", "sms"]})
    )


async def _at_once(value: bool) -> bool:
    """A check of what is already at hand, in the shape `eventually` asks for."""
    return value
