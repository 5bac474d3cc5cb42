"""Notifications through a real worker, a fake Twilio and the real SFTP server: who got what, and how often.

One worker (and deployment) for the module: subscribers on SMS only, email only, both, and one with a number
Twilio refuses; every trigger; redelivered requests; a Twilio outage; and, last, the worker killed in the middle of a
fan-out and started again. The SFTP server stopped and started under load is a fault test (tests/faults).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import Caller, MakeCaller, iso
from tests.support.notifications import (
    Follower,
    NotifyingDeployment,
    emails_to,
    eventually,
    follower,
    labour_with_followers,
    new_number,
    ok,
    subjects_to,
)
from tests.support.stack import coroutine_waits
from tests.support.tokens import authorization, operator_authorization

MAX_ATTEMPTS = 8  # with 0.2 s doubling: at least 12 s of retries


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    with NotifyingDeployment.running_on(
        kafka,
        postgres,
        twilio_api,
        sftp,
        "notifications",
        LABOUR_TRACKER_NOTIFY_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
        LABOUR_TRACKER_NOTIFY_RETRY_DELAY="0.2",
        LABOUR_TRACKER_KAFKA_SESSION_TIMEOUT="6",
    ) as deployed:
        yield deployed


@dataclass
class Watch:
    """Every notification outcome and dead letter of the deployment, as they arrive."""

    outcomes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    def final(self) -> dict[str, dict[str, Any]]:
        """The last outcome of each notification id."""
        return {key: events[-1] for key, events in self.outcomes.items()}

    def of(self, subscriber_ids: set[str], event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            each
            for each in self.final().values()
            if each["data"]["subscriber_id"] in subscriber_ids
            and (event_type is None or each["data"]["event_type"] == event_type)
        ]


@pytest.fixture(scope="module")
async def watch(deployment: NotifyingDeployment) -> AsyncIterator[Watch]:
    watched = Watch()
    consumer = AIOKafkaConsumer(
        deployment.topic("notification.events"),
        deployment.topic("dead_letters"),
        bootstrap_servers=deployment.stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        metadata_max_age_ms=1000,
    )
    await consumer.start()

    async def collect() -> None:
        async for record in consumer:
            value = json.loads(record.value or b"{}")
            if record.topic.endswith("dead_letters"):
                watched.dead_letters.append(value)
            else:
                watched.outcomes[value["aggregate_id"]].append(value)

    task = asyncio.create_task(collect())
    yield watched
    task.cancel()
    await consumer.stop()


async def hospital_and_urgent(bea: Caller) -> None:
    """An hour of 3-1-1 (back-dated), then one contraction over two minutes: both alerts."""
    start = datetime.now(UTC) - timedelta(minutes=90)
    for _ in range(21):
        await ok(bea.post("/labour/contraction/start", {"start_time": iso(start), "intensity": 7}))
        await ok(bea.put("/labour/contraction/end", {"end_time": iso(start + timedelta(seconds=70)), "intensity": 7}))
        start += timedelta(minutes=3)
    await ok(bea.post("/labour/contraction/start", {"start_time": iso(start), "intensity": 8}))
    await ok(bea.put("/labour/contraction/end", {"end_time": iso(start + timedelta(minutes=3)), "intensity": 9}))


async def test_every_trigger_reaches_each_subscriber_once_on_each_chosen_channel_and_a_bad_number_fails_alone(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller
) -> None:
    sam = await follower(person, "Sam", "sms")
    kim = await follower(person, "Kim", "email")
    ola = await follower(person, "Ola", "sms", "email")
    bad = await follower(person, "Bad", "sms")
    deployment.twilio.reject_number(bad.phone)
    everyone = [sam, kim, ola, bad]
    ids = {each.caller.id for each in everyone}
    bea = await labour_with_followers(person, everyone)

    await ok(
        bea.post("/labour/begin", {"first_labour": True, "start_time": iso(datetime.now(UTC) - timedelta(hours=2))})
    )
    await hospital_and_urgent(bea)
    await ok(bea.put("/labour/complete", {"notes": "a girl"}))
    await eventually(lambda: len(watch.of(ids)) == 5 * 5, what="25 outcomes")  # 5 messages, 5 destinations

    # In any order: each notification is sent on its own, and events that wait together (as behind a rebalance)
    # are sent together.
    twilio, sftp = deployment.twilio, deployment.sftp
    assert sorted(twilio.bodies_to(sam.phone)) == [
        "Hey Sam, Bea Moyo has completed labour: a girl",
        "Sam, Bea Moyo is going into labour",
        "Sam, Bea Moyo's labour may need urgent attention. Please check on them now and call their midwife or "
        "maternity unit.",
        "Sam, get ready: Bea Moyo's contractions are regular and the hospital may be next",
        "Sam, it's time to take Bea Moyo to the hospital",
    ]
    assert len(twilio.bodies_to(ola.phone)) == 5 and "Ola, Bea Moyo is going into labour" in twilio.bodies_to(ola.phone)
    assert twilio.bodies_to(kim.phone) == [] and twilio.bodies_to(bad.phone) == []
    assert subjects_to(sftp, kim.email) == [
        "Bea Moyo has completed labour",
        "Bea Moyo is going into labour",
        "Get ready: Bea Moyo may need the hospital soon",
        "Time to take Bea Moyo to the hospital",
        "Urgent: please check on Bea Moyo now",
    ]
    assert len(subjects_to(sftp, ola.email)) == 5 and emails_to(sftp, sam.email) == []
    begun = next(each for each in emails_to(sftp, kim.email) if each["Subject"] == "Bea Moyo is going into labour")
    body = begun.get_body(("plain",))
    assert body is not None and "Kim, Bea Moyo is going into labour" in body.get_content()
    completed = next(each for each in emails_to(sftp, kim.email) if each["Subject"] == "Bea Moyo has completed labour")
    completed_body = completed.get_body(("plain",))
    assert completed_body is not None
    in_full = completed_body.get_content().replace("\r\n", "\n")  # as the relay reads it: CRLF line ends
    assert in_full.startswith("Hey Kim, Bea Moyo has completed labour\n\na girl\n"), "the note under the sentence"
    assert begun["Message-ID"].startswith("<") and begun["Date"] is not None

    refused = watch.of({bad.caller.id})
    assert {each["type"] for each in refused} == {"notification.failed"}
    assert {each["data"]["reason"] for each in refused} == {"Twilio error 21211: invalid phone number (HTTP 400)"}
    assert {each["data"]["attempts"] for each in refused} == {1}, "a permanent refusal is not retried"
    sent = watch.of(ids - {bad.caller.id})
    assert {each["type"] for each in sent} == {"notification.sent"} and len(sent) == 20


async def test_redelivered_notification_requests_send_nothing_more(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller
) -> None:
    sam, kim = await follower(person, "Sam", "sms"), await follower(person, "Kim", "email")
    ids = {sam.caller.id, kim.caller.id}
    bea = await labour_with_followers(person, [sam, kim])
    await ok(bea.post("/labour/begin", {"first_labour": False}))
    await eventually(lambda: len(watch.of(ids)) == 2, what="both notifications")
    requests_before = len(deployment.twilio.received)

    begun = await find_event(deployment, bea.id, "labour.begun")
    requests = await find_messages(deployment, "notifications.requests", lambda each: each["event_id"] == begun["id"])
    assert sorted(requests) == sorted(each.caller.id.encode() for each in (sam, kim))
    producer = AIOKafkaProducer(bootstrap_servers=deployment.stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"])
    await producer.start()
    try:
        for _ in range(2):
            for key, value in requests.items():
                await producer.send_and_wait(deployment.topic("notifications.requests"), value, key=key)
    finally:
        await producer.stop()
    # Its requests follow the repeats on each subscriber's partition: once they are delivered, the repeats were read.
    await ok(bea.put("/labour/complete", {}))
    await eventually(lambda: len(watch.of(ids)) == 4, what="the completion notifications")
    await asyncio.sleep(2.0)  # the sender's work for the repeats would be done by now

    assert len(deployment.twilio.bodies_to(sam.phone)) == 2
    assert len(deployment.twilio.received) == requests_before + 1
    assert len(emails_to(deployment.sftp, kim.email)) == 2
    outcome_ids = [{event["id"] for event in watch.outcomes[each["aggregate_id"]]} for each in watch.of(ids)]
    assert all(len(each) == 1 for each in outcome_ids), "no second outcome (one may be published again)"


async def test_a_notifications_record_page_is_an_operators_and_masks_the_destination(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller, http: aiohttp.ClientSession
) -> None:
    sam = await follower(person, "Sam", "sms")
    bea = await labour_with_followers(person, [sam])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    await eventually(lambda: len(watch.of({sam.caller.id})) == 1, what="the notification")
    [sent] = watch.of({sam.caller.id})
    page = f"{deployment.worker.url}/table/notifications/{sent['aggregate_id']}/"

    async with http.get(page, headers=operator_authorization(deployment.stack.signing_key)) as answer:
        assert answer.status == 200
        shown = await answer.json()
    async with http.get(page, headers=authorization(bea.token)) as as_the_person:
        assert as_the_person.status == 403

    assert (shown["state"]["subscriber_id"], shown["state"]["destination"]) == (sam.caller.id, "***")
    assert sam.phone not in json.dumps(shown)


async def test_a_number_no_one_confirmed_gets_no_news_until_the_code_sent_there_is_entered(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller
) -> None:
    phone = new_number()
    pat = person("Pat", "Lee", phone_number=phone, verified=False)  # the issuer did not verify the number
    registered = await ok(pat.post("/subscriber/register", {"contact_methods": ["sms"]}))
    assert registered["subscriber"]["confirmed"] == []
    bea = await labour_with_followers(person, [Follower(pat, phone, "", ("sms",))])
    await ok(bea.post("/labour/begin", {"first_labour": True}))

    asked = await ok(pat.post("/subscriber/confirmation-code", {"channel": "sms"}))
    await eventually(lambda: len(deployment.twilio.bodies_to(phone)) == 1, what="the code")
    [text] = deployment.twilio.bodies_to(phone)
    code = text.split("code is ")[1][:8]
    wrong = await pat.post("/subscriber/confirm", {"channel": "sms", "code": "00000000" if code != "00000000" else "1"})
    confirmed = await ok(pat.post("/subscriber/confirm", {"channel": "sms", "code": code}))
    await ok(bea.put("/labour/complete", {}))
    await eventually(lambda: len(deployment.twilio.bodies_to(phone)) == 2, what="news once confirmed")
    await asyncio.sleep(1.0)  # the begin's request came first on Pat's partition: anything it sent is in by now

    assert asked["subscriber"]["confirmed"] == [] and confirmed["subscriber"]["confirmed"] == ["sms"]
    assert (wrong.status, wrong.body["code"]) == (400, "invalid_confirmation_code")
    assert deployment.twilio.bodies_to(phone)[1:] == ["Hey Pat, Bea Moyo has completed labour"]
    assert watch.of({pat.id}, "labour.begun") == [], "no news went to the number before it was confirmed"


async def find_event(deployment: NotifyingDeployment, person_id: str, event_type: str) -> dict[str, Any]:
    events = await find_messages(
        deployment,
        "birthing_person.events",
        lambda each: (each["aggregate_id"], each["type"]) == (person_id, event_type),
    )
    (value,) = events.values()
    return json.loads(value)  # type: ignore[no-any-return]


async def find_messages(
    deployment: NotifyingDeployment, suffix: str, wanted: Callable[[dict[str, Any]], bool]
) -> dict[bytes, bytes]:
    """The messages on a topic that `wanted` picks, by key, from its start to where it ends now."""
    consumer = AIOKafkaConsumer(  # no group: every partition, from its start
        deployment.topic(suffix),
        bootstrap_servers=deployment.stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[bytes, bytes] = {}
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))

        async def short_of_the_end() -> bool:
            return any([await consumer.position(each) < end for each, end in ends.items()])

        async with asyncio.timeout(20):
            while await short_of_the_end():
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for record in batch:
                        if record.key is not None and record.value is not None and wanted(json.loads(record.value)):
                            found[record.key] = record.value
    finally:
        await consumer.stop()
    return found


async def test_a_twilio_outage_is_retried_until_twilio_is_back_and_an_endless_one_is_dead_lettered(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller
) -> None:
    sam = await follower(person, "Sam", "sms")
    bea = await labour_with_followers(person, [sam])

    deployment.twilio.fail_next(2, 500)
    deployment.twilio.fail_next(1, 429)
    await ok(bea.post("/labour/begin", {"first_labour": False}))
    await eventually(lambda: len(watch.of({sam.caller.id})) == 1, what="the notification after the outage")
    (recovered,) = watch.of({sam.caller.id})
    assert (recovered["type"], recovered["data"]["attempts"]) == ("notification.sent", 4)
    assert deployment.twilio.bodies_to(sam.phone) == ["Sam, Bea Moyo is going into labour"]

    deployment.twilio.fail_next(MAX_ATTEMPTS, 503)
    await ok(bea.put("/labour/complete", {}))
    await eventually(lambda: len(watch.of({sam.caller.id})) == 2, within=60, what="giving up")
    (gave_up,) = watch.of({sam.caller.id}, "labour.completed")
    assert gave_up["type"] == "notification.failed"
    assert gave_up["data"]["reason"] == f"gave up after {MAX_ATTEMPTS} attempts: Twilio error 20500: refused (HTTP 503)"
    await eventually(lambda: any(each["reason"] == gave_up["data"]["reason"] for each in watch.dead_letters))
    assert len(deployment.twilio.bodies_to(sam.phone)) == 1


async def test_a_worker_killed_mid_fan_out_and_restarted_leaves_each_subscriber_with_at_most_one_of_each(
    deployment: NotifyingDeployment, watch: Watch, person: MakeCaller
) -> None:
    followers = [await follower(person, f"F{n}", "sms", "email") for n in range(24)]
    ids = {each.caller.id for each in followers}
    bea = await labour_with_followers(person, followers)
    deployment.twilio.stall_next(len(followers), 0.1)  # slow enough to be caught in the middle

    await ok(bea.post("/labour/begin", {"first_labour": True}))
    await eventually(lambda: len(watch.of(ids)) >= 8, what="the fan-out to start")
    deployment.worker.kill()
    assert len(watch.of(ids)) < 2 * len(followers), "killed after the fan-out finished: the test proves nothing"
    await asyncio.to_thread(deployment.worker.start)
    try:
        await eventually(lambda: len(watch.of(ids)) == 2 * len(followers), within=90, what="every notification")
    except AssertionError as failure:
        agents = [line for line in await coroutine_waits(deployment.worker) if "_agent (" in line]
        raise AssertionError(f"{failure}; the agents wait in:\n" + "\n".join(agents)) from None

    outcomes = watch.of(ids)
    unknown = [each for each in outcomes if each["type"] == "notification.failed"]
    assert all(each["data"]["channel"] == "sms" and "delivery unknown" in each["data"]["reason"] for each in unknown)
    assert len(unknown) <= 1, "only the one SMS in flight when the worker died can be in doubt"
    for each in followers:
        assert len(deployment.twilio.bodies_to(each.phone)) <= 1, "an SMS is sent at most once"
        assert len(emails_to(deployment.sftp, each.email)) == 1, "an email is delivered exactly once"
    sms_sent = sum(each["type"] == "notification.sent" and each["data"]["channel"] == "sms" for each in outcomes)
    assert sms_sent + len(unknown) == len(followers)
    assert sum(len(deployment.twilio.bodies_to(each.phone)) for each in followers) in (sms_sent, sms_sent + 1)
