"""The notifier's handlers with in-memory topics, tables and channels: who is told, once, and what is said about it.

The messages they produce are checked against the committed contract in docs/schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from labour_tracker.agents.notification_destinations import DestinationCap
from labour_tracker.agents.notification_fanout import (
    NotificationFanOut,
    confirmation_codes,
    notification_requests,
    told_of,
)
from labour_tracker.agents.notification_sender import NotificationSender
from labour_tracker.domain import labour, notification
from labour_tracker.domain import subscriber as subscriber_domain
from labour_tracker.domain.limits import Rate
from labour_tracker.domain.notification.destination import MESSAGES_PER_DESTINATION_PER_HOUR, messages_per_destination
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber
from labour_tracker.messages import contract
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.notifications.channel import DeliveryUnknown, Outgoing, Permanent, Transient
from labour_tracker.notifications.retry import RetryPolicy
from labour_tracker.notifications.sms import sms_body
from labour_tracker.tables.records import AggregateRecord
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, message

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SECRET = b"the-servers-secret-of-32-bytes-or-more"


@dataclass
class FakeChannel:
    """Answers each send from a script (a provider id, or a failure to raise); records what it was given."""

    script: list[str | Exception] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    earlier: str | Exception | None = None  # what delivered_before answers
    settled: list[str] = field(default_factory=list)

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        answer = self.script.pop(0) if self.script else f"P-{len(self.sent)}"
        if isinstance(answer, Exception):
            raise answer
        self.sent.append(message)
        return answer

    async def delivered_before(self, message: Outgoing) -> str | None:
        if isinstance(self.earlier, Exception):
            raise self.earlier
        return self.earlier

    async def close(self) -> None:
        return None


def fit(schema_name: str, message: Any) -> list[str]:
    schema = json.loads((contract.ROOT / contract.SCHEMAS_DIR / f"{schema_name}.json").read_text())
    return [error.message for error in Draft202012Validator(schema).iter_errors(message)]


def message_at(offset: int) -> Any:
    return SimpleNamespace(topic="t", partition=0, offset=offset)


@dataclass
class Notifier:
    persons: dict[str, Any] = field(default_factory=dict)
    subscribers: dict[str, Any] = field(default_factory=dict)
    statuses: MemoryTable = field(default_factory=MemoryTable)
    requests: MemoryTopic = field(default_factory=MemoryTopic)
    destinations: MemoryTopic = field(default_factory=MemoryTopic)  # deliveries on their way to the cap
    counts: MemoryTable = field(default_factory=MemoryTable)  # messages lately sent to each destination
    deliveries: MemoryTopic = field(default_factory=MemoryTopic)
    events: MemoryTopic = field(default_factory=MemoryTopic)
    dead_letters: MemoryTopic = field(default_factory=MemoryTopic)
    sms: FakeChannel = field(default_factory=FakeChannel)
    email: FakeChannel = field(default_factory=FakeChannel)
    waits: list[float] = field(default_factory=list)
    delivered: int = 0  # deliveries handed to the sender so far: the next one's offset
    cap: Rate = field(default_factory=lambda: messages_per_destination(MESSAGES_PER_DESTINATION_PER_HOUR))
    now: datetime = T0  # when the next message reaches the cap
    counted: int = 0  # messages the cap has taken so far: the next one's offset

    def fan_out(self) -> NotificationFanOut:
        fakes: Any = (self.subscribers, self.destinations, self.dead_letters)
        return NotificationFanOut(*fakes, SECRET, clock=lambda: T0)

    def destination_cap(self) -> DestinationCap:
        fakes: Any = (self.counts, self.deliveries, self.dead_letters)
        return DestinationCap(*fakes, SECRET, self.cap, clock=lambda: self.now)

    async def count_all(self) -> None:
        """Each delivery on its way counted against its destination's cap, at the next offset, and handed on."""
        for key, value in self.destinations.sent:
            consumed = message(timestamp=self.now.timestamp(), topic="d", offset=self.counted)
            for written in await self.destination_cap().handle(key, value, consumed):
                await written  # the broker's acknowledgements, awaited before the message is
            self.counted += 1
        self.destinations.sent.clear()

    def requested(self, envelope: EventEnvelope) -> None:
        """Step 1, as the person's agent takes it when it publishes the event."""
        self.requests.sent += [
            (key, value)
            for _, key, value in notification_requests(MemoryTopic(), self.persons["bea"].state, [envelope])
        ]

    def sender(self) -> NotificationSender:
        channels: Any = {ContactMethod.SMS: Adapter(self.sms), ContactMethod.EMAIL: Adapter(self.email)}
        table: Any = self.statuses

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        policy = RetryPolicy(max_attempts=3, first_delay=0.5)
        fakes: Any = (self.events, self.dead_letters)
        return NotificationSender(
            table, *fakes, channels, policy, clock=lambda: T0, sleep=sleep, requests=self.requests
        )

    async def event(self, envelope: EventEnvelope) -> None:
        self.requested(envelope)
        for offset, (key, value) in enumerate(self.requests.sent):
            await self.fan_out().on_request(key, value, message_at(offset))
        self.requests.sent.clear()
        await self.count_all()
        await self.deliver_all()

    async def report(self, notification_id: str, provider_id: str | None, status: str, offset: int = 0) -> None:
        """A provider's report on the reports topic, as the status callback hands it on."""
        report = {"notification_id": notification_id, "provider_id": provider_id, "provider_status": status}
        await self.sender().handle_report(notification_id, json.dumps(report).encode(), message_at(offset))

    async def deliver_all(self) -> None:
        """Each delivery sent, at the next offset: fanned out again, it is a new message further on."""
        for key, value in self.deliveries.sent:
            await self.sender().handle(key, value, message_at(self.delivered))
            self.delivered += 1


@dataclass
class Adapter:
    """A FakeChannel as a Channel (its `settled` record and method share a name otherwise)."""

    fake: FakeChannel

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        return await self.fake.send(message, now=now)

    async def delivered_before(self, message: Outgoing) -> str | None:
        return await self.fake.delivered_before(message)

    async def settled(self, notification_id: str) -> None:
        self.fake.settled.append(notification_id)

    async def close(self) -> None:
        return None


def person(*subscriber_ids: str) -> AggregateRecord[labour.BirthingPerson]:
    return AggregateRecord(labour.BirthingPerson("bea", "Bea", "Moyo", None, (), frozenset(subscriber_ids), 0), 3)


def subscriber(
    sub_id: str,
    *methods: ContactMethod,
    follows: str = "bea",
    confirmed: frozenset[ContactMethod] = frozenset(ContactMethod),
) -> AggregateRecord[Subscriber]:
    state = Subscriber(
        sub_id,
        sub_id.title(),
        "Lee",
        "+447700900123",
        f"{sub_id}@example.org",
        frozenset(methods),
        frozenset({follows}),
        confirmed=confirmed,
    )
    return AggregateRecord(state, 2)


def trigger(event_type: str = "labour.begun", event_id: str = "e-1") -> EventEnvelope:
    data: dict[str, Any] = {"birthing_person_id": "bea", "labour_id": "l-1"}
    if event_type == "labour.begun":
        data |= {"first_labour": True, "start_time": T0.isoformat()}
    if event_type == "labour.completed":
        data |= {"end_time": T0.isoformat(), "notes": None}
    if event_type == "labour.urgent_attention_advised":
        data |= {"reason": "long_contraction"}
    if event_type == "labour.update_posted":
        data |= {"update_id": "u-1", "kind": "announcement", "message": "We're off to the hospital", "moment": None,
                 "posted_by": "bea", "posted_at": T0.isoformat()}  # fmt: skip
    return EventEnvelope(
        id=event_id, type=event_type, version=4, aggregate_id="bea", time=T0, causation_id="c-1", data=data
    )


@pytest.fixture
def notifier() -> Notifier:
    world = Notifier()
    world.persons["bea"] = person("sam", "kim", "ola", "gone")
    world.subscribers["sam"] = subscriber("sam", ContactMethod.SMS)
    world.subscribers["kim"] = subscriber("kim", ContactMethod.EMAIL)
    world.subscribers["ola"] = subscriber("ola", ContactMethod.SMS, ContactMethod.EMAIL)
    world.subscribers["gone"] = subscriber("gone", ContactMethod.SMS, follows="someone-else")  # unsubscribed since
    return world


def outcomes(world: Notifier) -> dict[tuple[str, str], str]:
    return {(each["data"]["subscriber_id"], each["data"]["channel"]): each["type"] for each in world.events.values()}


@pytest.mark.parametrize("event_type", sorted(notification.TRIGGERS))
async def test_every_trigger_tells_each_subscriber_once_on_each_of_their_channels(
    notifier: Notifier, event_type: str
) -> None:
    await notifier.event(trigger(event_type))
    assert sorted(each.destination for each in notifier.sms.sent) == ["+447700900123", "+447700900123"]
    assert sorted(each.destination for each in notifier.email.sent) == ["kim@example.org", "ola@example.org"]
    assert {each.names.subscriber for each in notifier.sms.sent} == {"Sam", "Ola"}
    assert outcomes(notifier) == {
        ("sam", "sms"): "notification.sent",
        ("kim", "email"): "notification.sent",
        ("ola", "sms"): "notification.sent",
        ("ola", "email"): "notification.sent",
    }
    assert notifier.dead_letters.sent == []
    for status in notifier.statuses.values():
        assert status.state.status is notification.NotificationStatus.SENT
        assert status.version == 2  # pending, then sent
        assert status.state.provider_id.startswith("P-")


async def test_an_event_published_again_and_redelivered_deliveries_send_nothing_more(notifier: Notifier) -> None:
    await notifier.event(trigger())
    deliveries = list(notifier.deliveries.sent)
    notifier.deliveries.sent.clear()
    await notifier.event(trigger())  # its command decided again: the same event id, the same notification ids
    assert sorted(notifier.deliveries.sent) == sorted(deliveries)
    await notifier.deliver_all()
    assert (len(notifier.sms.sent), len(notifier.email.sent), len(notifier.events.sent)) == (2, 2, 4)
    await notifier.event(trigger(event_id="e-2"))  # another event: new ids, sent again
    assert (len(notifier.sms.sent), len(notifier.email.sent)) == (4, 4)


async def test_the_delivery_that_recorded_an_outcome_delivered_again_announces_it_again_and_sends_nothing(
    notifier: Notifier,
) -> None:
    notifier.persons["bea"] = person("ola")
    await notifier.event(trigger())
    announced = notifier.events.values()
    notifier.events.sent.clear()  # as if the worker stopped before the broker had the announcements

    for offset, (key, value) in enumerate(notifier.deliveries.sent):  # the same messages, at the same offsets
        await notifier.sender().handle(key, value, message_at(offset))

    assert (len(notifier.sms.sent), len(notifier.email.sent)) == (1, 1)
    again = notifier.events.values()
    assert sorted(each["id"] for each in again) == sorted(each["id"] for each in announced)
    assert sorted(each["type"] for each in again) == ["notification.sent", "notification.sent"]


async def test_pending_is_durable_before_the_provider_is_called(notifier: Notifier) -> None:
    awaited_at_send: list[list[Any]] = []
    original = notifier.sms.send

    async def spying(message: Outgoing, *, now: datetime) -> str:
        awaited_at_send.append([record.state.status for _, record in notifier.statuses.awaited])
        return await original(message, now=now)

    notifier.sms.send = spying  # type: ignore[method-assign]
    notifier.persons["bea"] = person("sam")
    await notifier.event(trigger())
    # The SMS is the first delivery: only its pending status was written, and the broker had it before the send.
    assert awaited_at_send == [[notification.NotificationStatus.PENDING]]
    sms = [record.state.status for key, record in notifier.statuses.awaited if record.state.channel == "sms"]
    assert sms == [notification.NotificationStatus.PENDING, notification.NotificationStatus.SENT]


async def test_transient_failures_are_retried_with_backoff_then_sent(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("sam")
    notifier.sms.script = [Transient("Twilio answered HTTP 429"), Transient("Twilio answered HTTP 500")]
    await notifier.event(trigger())
    (sent,) = notifier.events.values()
    assert (sent["type"], sent["data"]["attempts"]) == ("notification.sent", 3)
    assert 0.25 <= notifier.waits[0] <= 0.5 and 0.5 <= notifier.waits[1] <= 1.0
    assert notifier.dead_letters.sent == []


async def test_retries_exhausted_fail_it_with_the_reason_and_park_a_dead_letter(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("sam")
    notifier.sms.script = [Transient("Twilio answered HTTP 500")] * 3
    await notifier.event(trigger())
    (failed,) = notifier.events.values()
    assert failed["type"] == "notification.failed"
    assert failed["data"]["reason"] == "gave up after 3 attempts: Twilio answered HTTP 500"
    (letter,) = notifier.dead_letters.values()
    assert letter["reason"] == failed["data"]["reason"]
    assert len(notifier.waits) == 2


async def test_a_permanent_refusal_fails_at_once_and_the_others_still_get_theirs(notifier: Notifier) -> None:
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    await notifier.event(trigger())
    states = outcomes(notifier)
    assert sorted(states.values()).count("notification.failed") == 1
    assert sorted(states.values()).count("notification.sent") == 3
    assert notifier.waits == [] and notifier.dead_letters.sent == []


async def test_a_pending_found_on_redelivery_is_never_sent_blindly(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.requested(trigger())
    for key, value in notifier.requests.sent:
        await notifier.fan_out().on_request(key, value, message_at(0))
    await notifier.count_all()
    for key, value in notifier.deliveries.sent:  # as if a worker died after pending and the send
        record = json.loads(value)
        notifier.statuses[key] = AggregateRecord(
            notification.attempted(
                notification.pending(
                    id=key,
                    event_id=record["event_id"],
                    event_type=record["event_type"],
                    birthing_person_id="bea",
                    labour_id="l-1",
                    subscriber_id="ola",
                    channel=ContactMethod(record["channel"]),
                    destination=record["destination"],
                    now=T0,
                ),
                now=T0,
            ),
            1,
        )
    notifier.sms.earlier = DeliveryUnknown("delivery unknown: interrupted while sending")
    notifier.email.earlier = "pickup/x.eml"  # the marker says the rename happened
    await notifier.deliver_all()
    assert notifier.sms.sent == [] and notifier.email.sent == []
    assert outcomes(notifier) == {("ola", "sms"): "notification.failed", ("ola", "email"): "notification.sent"}
    email = next(each for each in notifier.events.values() if each["type"] == "notification.sent")
    assert email["data"]["provider_id"] == "pickup/x.eml"

    notifier.events.sent.clear()
    for record in notifier.statuses.values():
        if record.state.channel == "email":
            notifier.statuses[record.state.id] = AggregateRecord(
                notification.attempted(replace_status(record.state), now=T0), 1
            )
    notifier.email.earlier = None  # no marker: it never got as far as the rename, so it goes now
    await notifier.deliver_all()
    assert len(notifier.email.sent) == 1


def replace_status(state: notification.Notification) -> notification.Notification:
    return replace(state, status=notification.NotificationStatus.PENDING, provider_id=None)


@pytest.mark.parametrize(
    ("topic", "key", "value", "reason"),
    [
        ("request", "sam", b"{}", "not a valid notification request"),
        ("destination", "x", b"[]", "not a valid notification delivery"),
        ("delivery", "x", b"[]", "not a valid notification delivery"),
    ],
)
async def test_unreadable_messages_are_parked_and_the_agents_go_on(
    notifier: Notifier, topic: str, key: str, value: bytes, reason: str
) -> None:
    handle = {
        "request": notifier.fan_out().on_request,
        "destination": notifier.destination_cap().handle,
        "delivery": notifier.sender().handle,
    }[topic]
    await handle(key, value, message(timestamp=T0.timestamp(), topic="t", offset=7))
    (letter,) = notifier.dead_letters.values()
    assert (letter["reason"], letter["offset"]) == (reason, 7)
    assert fit("DeadLetter", letter) == []


async def test_a_delivery_whose_id_is_not_derived_from_its_event_is_parked_not_sent(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("sam")
    notifier.requested(trigger())
    await notifier.fan_out().on_request(*notifier.requests.sent[0], message_at(0))
    await notifier.count_all()
    _, value = notifier.deliveries.sent[0]
    forged = json.loads(value) | {"notification_id": "../../etc/passwd"}
    await notifier.sender().handle("../../etc/passwd", json.dumps(forged).encode(), message_at(1))
    assert notifier.sms.sent == [] and "derived" in notifier.dead_letters.values()[0]["reason"]


async def test_only_the_four_triggers_make_requests_one_per_subscriber_the_person_has_now(notifier: Notifier) -> None:
    other = trigger().model_copy(update={"type": "contraction.started"})
    notifier.requested(other)
    assert notifier.requests.sent == []
    notifier.persons["bea"] = person("sam", "kim")
    notifier.requested(trigger())
    assert [key for key, _ in notifier.requests.sent] == ["kim", "sam"]
    assert {json.loads(value)["labour_id"] for _, value in notifier.requests.sent} == {"l-1"}


async def test_what_the_notifier_sends_fits_the_committed_contract(notifier: Notifier) -> None:
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    notifier.requested(trigger())
    requests = [json.loads(value) for _, value in notifier.requests.sent]
    await notifier.event(trigger("labour.completed", "e-9"))
    for record in [each for each in notifier.statuses.values() if each.state.status == "sent"]:
        for status in ("undelivered", "delivered"):
            await notifier.report(record.state.id, record.state.provider_id, status)
    assert requests and all(fit("NotificationRequest", each) == [] for each in requests)
    assert all(fit("NotificationDelivery", json.loads(value)) == [] for _, value in notifier.deliveries.sent)
    kinds = set()
    for key, value in notifier.events.sent:
        event = json.loads(value)
        kinds.add(event["type"])
        assert key == event["aggregate_id"] == event["data"]["notification_id"]
        assert fit(f"event.{event['type']}", event) == []
    assert kinds == set(notification.EVENT_TYPES)
    assert {each.split("@")[0] for each in notifier.email.settled} <= set(notifier.statuses)


async def test_news_goes_only_to_confirmed_destinations(notifier: Notifier) -> None:
    both = frozenset(ContactMethod)
    notifier.subscribers["ola"] = subscriber("ola", *both, confirmed=frozenset({ContactMethod.EMAIL}))
    notifier.subscribers["sam"] = subscriber("sam", ContactMethod.SMS, confirmed=frozenset())

    await notifier.event(trigger())

    assert [each.destination for each in notifier.email.sent] == ["kim@example.org", "ola@example.org"]
    assert notifier.sms.sent == [], "Ola's and Sam's numbers are not confirmed"


async def test_a_confirmation_code_goes_to_its_destination_through_the_sender(notifier: Notifier) -> None:
    sam = notifier.subscribers["sam"].state
    asked = EventEnvelope(
        id="e-code", type=subscriber_domain.ConfirmationCodeSent.TYPE, version=3, aggregate_id="sam", time=T0,
        causation_id="c-ask", data={"subscriber_id": "sam", "channel": "sms", "code_digest": "d",
                                    "expires_at": T0.isoformat(), "sent_at": T0.isoformat()},
    )  # fmt: skip
    secret = SECRET
    notifier.destinations.sent += [
        (key, value)
        for _, key, value in confirmation_codes(MemoryTopic(), secret, sam, [asked])  # type: ignore[arg-type]
    ]
    await notifier.count_all()
    await notifier.deliver_all()

    [sent] = notifier.sms.sent
    code = subscriber_domain.confirmation_code(secret, "sam", "c-ask")
    assert (sent.destination, sent.code) == ("+447700900123", code)
    assert (
        sms_body(sent) == f"Your Labour Tracker code is {code}. It expires in 10 minutes. Not you? Ignore this message."
    )
    assert outcomes(notifier) == {("sam", "sms"): "notification.sent"}
    assert code not in json.dumps([json.loads(value) for _, value in notifier.events.sent]), "outcomes omit the code"


def withheld_reason(event: dict[str, Any]) -> bool:
    return event["type"] == "notification.failed" and event["data"]["reason"].startswith("destination_cap_reached: ")


async def test_messages_to_one_number_past_its_cap_are_recorded_failed_and_never_reach_the_provider(
    notifier: Notifier,
) -> None:
    """Sam and Ola have one number between their accounts: two messages an hour reach it, whoever they are for."""
    notifier.cap = messages_per_destination(2)
    await notifier.event(trigger("labour.begun", "e-1"))
    await notifier.event(trigger("labour.hospital_recommended", "e-2"))

    assert len(notifier.sms.sent) == 2, "the number had its two messages this hour"
    assert len(notifier.email.sent) == 4, "each address had two"
    withheld = [each for each in notifier.events.values() if withheld_reason(each)]
    assert sorted((each["data"]["subscriber_id"], each["data"]["event_id"]) for each in withheld) == [
        ("ola", "e-2"),
        ("sam", "e-2"),
    ]
    assert all(each["data"]["attempts"] == 0 and "2 messages an hour" in each["data"]["reason"] for each in withheld)
    for each in withheld:  # recorded as failed, so the record of what was sent is complete
        state = notifier.statuses[each["data"]["notification_id"]].state
        assert (state.status, state.reason) == (notification.NotificationStatus.FAILED, each["data"]["reason"])
    assert notifier.dead_letters.sent == [], "a cap is no fault of the message"
    assert not {each["data"]["notification_id"] for each in withheld} & set(notifier.sms.settled), "nothing to settle"


async def test_the_number_is_sent_to_again_once_its_oldest_message_is_an_hour_old(notifier: Notifier) -> None:
    notifier.cap = messages_per_destination(2)
    await notifier.event(trigger("labour.begun", "e-1"))
    notifier.now = T0 + timedelta(hours=1, seconds=1)

    await notifier.event(trigger("labour.completed", "e-2"))

    assert len(notifier.sms.sent) == 4
    assert not any(withheld_reason(each) for each in notifier.events.values())


async def test_a_delivery_that_comes_again_to_the_cap_is_counted_once_and_sent_once(notifier: Notifier) -> None:
    notifier.cap = messages_per_destination(2)
    notifier.persons["bea"] = person("sam")
    notifier.requested(trigger())
    await notifier.fan_out().on_request(*notifier.requests.sent[0], message_at(0))
    repeated = list(notifier.destinations.sent) * 3  # delivered again after a crash, and again
    notifier.destinations.sent[:] = repeated

    await notifier.count_all()
    await notifier.deliver_all()

    assert len(notifier.deliveries.sent) == 3 and len(notifier.sms.sent) == 1
    [(_, record)] = notifier.counts.items()
    assert len(record.state.counted) == 1
    assert not any(withheld_reason(each) for each in notifier.events.values())


async def test_the_count_is_kept_under_a_keyed_digest_that_holds_no_contact_details(notifier: Notifier) -> None:
    await notifier.event(trigger())

    keys = {key for _, key, _ in notifier.counts.changelog}
    assert len(keys) == 3, "Sam's and Ola's number, Kim's and Ola's addresses"
    assert all(len(key) == 32 and int(key, 16) >= 0 for key in keys)
    stored = json.dumps([[key, notifier.counts.value_serializer.dumps(value).decode()] for key, value in
                         notifier.counts.items()])  # fmt: skip
    for secret in ("447700900123", "kim@example.org", "ola@example.org", "Ola", "Kim"):
        assert secret not in stored


async def test_without_a_cap_every_message_is_sent_and_nothing_is_counted(notifier: Notifier) -> None:
    notifier.cap = messages_per_destination(0)
    for index in range(5):
        await notifier.event(trigger(event_id=f"e-{index}"))

    assert len(notifier.sms.sent) == 10
    assert notifier.counts.changelog == []


async def test_a_delivery_under_another_key_than_its_destinations_digest_is_parked_not_counted(
    notifier: Notifier,
) -> None:
    notifier.persons["bea"] = person("sam")
    notifier.requested(trigger())
    await notifier.fan_out().on_request(*notifier.requests.sent[0], message_at(0))
    [(_, value)] = notifier.destinations.sent
    notifier.destinations.sent[:] = [(json.loads(value)["notification_id"], value)]

    await notifier.count_all()

    assert notifier.deliveries.sent == [] and notifier.counts == {}
    assert "digest" in notifier.dead_letters.values()[0]["reason"]


async def test_a_report_moves_the_sent_sms_it_is_about_forward_only_and_is_announced_once(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("sam")
    notifier.subscribers["sam"] = subscriber("sam", ContactMethod.SMS)
    await notifier.event(trigger())
    [(sms_id, record)] = list(notifier.statuses.items())
    assert record.state.masked_destination == "+44•••••••123" and record.state.destination == ""
    notifier.events.sent.clear()
    await notifier.report(sms_id, "P-other", "delivered")  # another message's SID: nothing moves
    assert notifier.statuses[sms_id].state.status == "sent" and notifier.events.sent == []
    await notifier.report(sms_id, "P-0", "sent")
    assert notifier.statuses[sms_id].state.status == "sent" and notifier.events.sent == []
    await notifier.report(sms_id, "P-0", "delivered")
    await notifier.report(sms_id, "P-0", "delivered")  # Twilio calls again: nothing more
    await notifier.report(sms_id, "P-0", "undelivered")  # late and out of order: delivered is final
    assert notifier.statuses[sms_id].state.status == "delivered"
    assert [json.loads(value)["type"] for _, value in notifier.events.sent] == ["notification.delivered"]
    assert notifier.sms.sent and len(notifier.sms.sent) == 1, "a report never sends anything"


async def test_a_report_on_an_unknown_notification_is_ignored_and_an_unreadable_one_parked(notifier: Notifier) -> None:
    await notifier.report("no-such-notification", "SM1", "delivered")
    assert notifier.statuses == {} and notifier.events.sent == [] and notifier.dead_letters.sent == []
    await notifier.sender().handle_report("n-1", b"not json", message_at(3))
    await notifier.sender().handle_report(
        "n-2",
        json.dumps({"notification_id": "n-1", "provider_id": "S", "provider_status": "delivered"}).encode(),
        message_at(4),
    )
    reasons = [letter["reason"] for letter in notifier.dead_letters.values()]
    assert reasons == ["not a valid notification report", "the key must be the report's notification_id"]


async def resend(
    world: Notifier, notification_id: str, number: int, person_id: str = "bea", **words: str | None
) -> list[dict[str, Any]]:
    """The person's resend taken by the sender, then fanned out, counted and delivered as any request; returns the
    requests it asked of the fan-out."""
    asked = {"notification_id": notification_id, "resend": number, "birthing_person_id": person_id,
             "birthing_person_first_name": "Bea", "birthing_person_last_name": "Moyo", **words}  # fmt: skip
    assert fit("NotificationResend", asked) == []
    await world.sender().handle_resend(notification_id, json.dumps(asked).encode(), message_at(0))
    requests = [json.loads(value) for _, value in world.requests.sent]
    for offset, (key, value) in enumerate(world.requests.sent):
        await world.fan_out().on_request(key, value, message_at(offset))
    world.requests.sent.clear()
    world.deliveries.sent.clear()
    await world.count_all()
    await world.deliver_all()
    return requests


async def test_a_failed_sms_resent_goes_once_on_that_channel_only_under_its_own_id(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    await notifier.event(trigger())
    original = notification.notification_id("e-1", "ola", ContactMethod.SMS)
    assert notifier.statuses[original].state.status is notification.NotificationStatus.FAILED
    emails = len(notifier.email.sent)

    await resend(notifier, original, 1)
    again = notification.resend_id(original, 1)
    assert [each.notification_id for each in notifier.sms.sent] == [again]
    assert notifier.statuses[again].state.status is notification.NotificationStatus.SENT
    assert notifier.statuses[original].state.resends == 1
    assert len(notifier.email.sent) == emails, "the email, which was sent, is not sent again"

    await resend(notifier, original, 1)  # the same request again
    await resend(notifier, original, 3)  # out of turn
    await resend(notifier, original, 2, person_id="someone-else")
    assert len(notifier.sms.sent) == 1 and notifier.statuses[original].state.resends == 1
    assert notifier.dead_letters.sent == []


async def test_a_sent_notification_or_one_the_cap_stopped_is_not_resent(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("sam")
    await notifier.event(trigger())
    sent = notification.notification_id("e-1", "sam", ContactMethod.SMS)
    await resend(notifier, sent, 1)
    assert len(notifier.sms.sent) == 1 and notifier.statuses[sent].state.resends == 0
    capped = notifier.statuses[sent].state
    notifier.statuses[sent] = replace(
        notifier.statuses[sent],
        state=replace(capped, status=notification.NotificationStatus.FAILED, reason="destination_cap_reached: 20"),
    )
    await resend(notifier, sent, 1)
    assert len(notifier.sms.sent) == 1 and notifier.statuses[sent].state.resends == 0


async def test_a_resent_announcement_carries_the_message_its_resend_gives_and_its_records_name_the_update(
    notifier: Notifier,
) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    await notifier.event(trigger("labour.update_posted"))
    original = notification.notification_id("e-1", "ola", ContactMethod.SMS)
    assert notifier.statuses[original].state.update_id == "u-1"

    asked = await resend(notifier, original, 1, note="We're at the hospital now")

    assert [(each["note"], each["moment"], each["update_id"]) for each in asked] == [
        ("We're at the hospital now", None, "u-1")
    ]
    assert all(fit("NotificationRequest", each) == [] for each in asked)
    [sms] = notifier.sms.sent
    assert sms_body(sms) == "Ola, news from Bea: We're at the hospital now"
    assert notifier.statuses[notification.resend_id(original, 1)].state.update_id == "u-1"


async def test_a_resent_quick_update_is_told_in_its_moments_words(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    quick = trigger("labour.update_posted")
    await notifier.event(quick.model_copy(update={"data": quick.data | {"message": None, "moment": "baby_born"}}))
    original = notification.notification_id("e-1", "ola", ContactMethod.SMS)

    await resend(notifier, original, 1, moment="baby_born")

    [sms] = notifier.sms.sent
    assert (sms.note, sms.moment) == (None, "baby_born")
    assert sms_body(sms) == "Ola, Bea Moyo's baby is born!"


async def test_a_resent_completion_carries_the_notes_its_resend_gives(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    await notifier.event(trigger("labour.completed"))
    original = notification.notification_id("e-1", "ola", ContactMethod.SMS)
    assert notifier.statuses[original].state.update_id is None

    await resend(notifier, original, 1, note="a girl")

    assert sms_body(notifier.sms.sent[0]) == "Hey Ola, Bea Moyo has completed labour: a girl"


async def test_a_resend_with_both_a_note_and_a_moment_is_parked_and_asks_nothing(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    notifier.sms.script = [Permanent("Twilio error 21211: invalid phone number (HTTP 400)")]
    await notifier.event(trigger("labour.update_posted"))
    original = notification.notification_id("e-1", "ola", ContactMethod.SMS)
    asked = {"notification_id": original, "resend": 1, "birthing_person_id": "bea", "birthing_person_first_name": "Bea",
             "birthing_person_last_name": "Moyo", "note": "hello", "moment": "baby_born"}  # fmt: skip

    await notifier.sender().handle_resend(original, json.dumps(asked).encode(), message_at(0))

    assert notifier.requests.sent == [] and notifier.statuses[original].state.resends == 0
    assert [letter["reason"] for letter in notifier.dead_letters.values()] == ["not a valid notification resend"]


async def test_the_completion_note_travels_from_the_event_to_every_channel_and_only_with_that_event(
    notifier: Notifier,
) -> None:
    notifier.persons["bea"] = person("ola")
    completed = trigger("labour.completed")
    completed = completed.model_copy(update={"data": completed.data | {"notes": "a girl"}})
    await notifier.event(completed)
    assert [each.note for each in notifier.sms.sent + notifier.email.sent] == ["a girl", "a girl"]
    assert sms_body(notifier.sms.sent[0]) == "Hey Ola, Bea Moyo has completed labour: a girl"

    await notifier.event(trigger("labour.begun", event_id="e-2"))
    assert [each.note for each in notifier.sms.sent[1:] + notifier.email.sent[1:]] == [None, None]


async def test_an_announcement_carries_its_message_to_every_channel_with_the_persons_first_name(
    notifier: Notifier,
) -> None:
    notifier.persons["bea"] = person("ola")
    await notifier.event(trigger("labour.update_posted"))
    assert [each.note for each in notifier.sms.sent + notifier.email.sent] == ["We're off to the hospital"] * 2
    assert sms_body(notifier.sms.sent[0]) == "Ola, news from Bea: We're off to the hospital"
    assert notifier.dead_letters.sent == []


@pytest.mark.parametrize("kind", ["status_update", "private_note"])
async def test_status_updates_and_private_notes_are_never_sent(notifier: Notifier, kind: str) -> None:
    posted = trigger("labour.update_posted")
    posted = posted.model_copy(update={"data": posted.data | {"kind": kind}})
    assert notification_requests(MemoryTopic(), notifier.persons["bea"].state, [posted]) == []
    await notifier.event(posted)
    assert notifier.sms.sent == [] and notifier.email.sent == []


async def test_a_quick_update_carries_its_moment_and_no_personal_text(notifier: Notifier) -> None:
    notifier.persons["bea"] = person("ola")
    quick = trigger("labour.update_posted")
    quick = quick.model_copy(update={"data": quick.data | {"message": None, "moment": "baby_born"}})
    await notifier.event(quick)
    sent = notifier.sms.sent + notifier.email.sent
    assert [(each.note, each.moment) for each in sent] == [(None, "baby_born")] * 2
    assert sms_body(notifier.sms.sent[0]) == "Ola, Bea Moyo's baby is born!"


async def test_the_requests_for_an_announcement_fit_the_contract(notifier: Notifier) -> None:
    requests = notification_requests(MemoryTopic(), notifier.persons["bea"].state, [trigger("labour.update_posted")])
    assert len(requests) == 4  # one per subscriber the person has
    for _, _, value in requests:
        assert fit("NotificationRequest", json.loads(value)) == []
        assert json.loads(value)["note"] == "We're off to the hospital"


@pytest.mark.parametrize(
    ("event_type", "told"),
    [
        ("labour.begun", ["fay", "pat"]),
        ("labour.prepare_for_hospital_recommended", ["pat"]),
        ("labour.hospital_recommended", ["pat"]),
        ("labour.urgent_attention_advised", ["pat"]),
        ("labour.completed", ["fay", "pat"]),
    ],
)
def test_each_follower_is_told_what_their_role_hears_of_and_a_pending_request_nothing(
    event_type: str, told: list[str]
) -> None:
    bea = replace(
        person("fay", "pat").state,  # type: ignore[arg-type]
        friends_and_family=frozenset({"fay"}),
        follow_requests=("zed",),
    )

    topic: Any = MemoryTopic()
    requests = notification_requests(topic, bea, [trigger(event_type)])

    assert [key for _, key, _ in requests] == told
    assert requests == notification_requests(topic, bea, [trigger(event_type)]), "decided again: the same requests"


def test_a_kind_of_news_not_in_the_audience_table_is_told_to_every_follower() -> None:
    bea = replace(person("fay", "pat").state, friends_and_family=frozenset({"fay"}))  # type: ignore[arg-type]

    assert told_of(bea, "labour.announcement_made") == ["fay", "pat"]
    assert told_of(bea, "labour.hospital_recommended") == ["pat"]
