"""Send each notification once: the `notifications` table, keyed by notification id, is what makes it once.

For each delivery (keyed by notification id, co-partitioned with the table):
- sent or failed already: nothing is sent; an event published again, a redelivered request, a retry or a
  rebalance sends nothing more. The very delivery that recorded the outcome, delivered again (after a crash or a
  rebalance), announces the outcome again under the same event id: the worker may have stopped between storing it
  and announcing it;
- withheld by the cap on messages to one destination (`notification_destinations`): recorded as failed with the
  cap's reason, and announced, without calling the provider;
- otherwise the status is written `pending` and made durable in Kafka *before* the provider is called, then the
  provider is called, and the final status (`sent` with the provider's id, or `failed` with the reason) and its
  `notification.sent` / `notification.failed` event are written and made durable at once;
- transient failures (429, 5xx, timeouts, a dropped SFTP connection) are retried with exponential backoff and
  jitter; permanent ones fail at once; after the last retry it fails and a dead letter says why.

If the worker dies between the provider taking a message and its final status being durable (the window is the
provider's answer plus one Kafka round trip), the delivery comes again and finds the status `pending`:
- email is finished, not repeated: the drop directory's marker says whether the rename happened, so the file is
  either recorded as sent or uploaded again (it never was) - exactly once;
- SMS is not sent again: Twilio offers no way to ask whether it took a message, so the notification is recorded
  as failed, "delivery unknown" - at most once. The subscriber may or may not have had that one text.

The same agent takes the provider's reports on sent SMS (`notifications.reports`, keyed by notification id too,
from Twilio's signed status callback), one message at a time with the deliveries, so a report never races the send
it is about: a report about the message the record holds moves it forward to delivered or undelivered and is
announced; any other (unknown id, another message's SID, a status already passed) changes nothing.

It takes, the same way, the person's requests to resend a failed notification (`notifications.resends`, keyed by
the notification id): a resend that is the next one the record allows is counted on the record and asked of the
fan-out again, for that channel only, under the resend's own id, with the words its news carries now (the view
found them: the record keeps none); any other (not theirs, not failed, failed by the destination cap, taken before,
past the bound) changes nothing and asks nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import faust
from pydantic import ValidationError

from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain import notification as n
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.engine.parking import Unusable, dead_letter, parked_on_failure, readable_key
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.notifications import (
    NotificationDelivery,
    NotificationReport,
    NotificationRequest,
    NotificationResend,
)
from labour_tracker.messages.retention import WORK_IN_FLIGHT
from labour_tracker.metrics import notifications_total
from labour_tracker.notifications.channel import Channel, DeliveryUnknown, Outgoing, Permanent, Transient
from labour_tracker.notifications.channels import open_channels
from labour_tracker.notifications.retry import RetryPolicy
from labour_tracker.tables.aggregates import Tables
from labour_tracker.tables.records import AggregateRecord
from labour_tracker.topics import Topics

log = logging.getLogger(__name__)


def valid_delivery(value: bytes | None) -> NotificationDelivery:
    """A delivery read from its JSON, of a type a message goes out for, with the id its content derives."""
    try:
        delivery = NotificationDelivery.model_validate_json(value or b"")
    except ValidationError:
        raise Unusable("not a valid notification delivery") from None
    if delivery.event_type not in n.MESSAGE_TYPES:
        raise Unusable(f"subscribers are not told about {delivery.event_type}")
    derived = n.notification_id(delivery.event_id, delivery.subscriber_id, delivery.channel)
    if delivery.resend:
        derived = n.resend_id(derived, delivery.resend)
    if delivery.notification_id != derived:
        raise Unusable("the notification_id must be the id derived from event, subscriber, channel and resend")
    return delivery


def read_delivery(key: str | None, value: bytes | None) -> NotificationDelivery:
    delivery = valid_delivery(value)
    if key != delivery.notification_id:  # its status is written on the key's partition
        raise Unusable("the key and notification_id must be the id derived from event, subscriber and channel")
    return delivery


def outgoing(delivery: NotificationDelivery) -> Outgoing:
    return Outgoing(
        notification_id=delivery.notification_id,
        channel=delivery.channel,
        destination=delivery.destination,
        event_type=delivery.event_type,
        event_time=delivery.event_time,
        names=delivery.names,
        subscriber_full_name=delivery.subscriber_full_name,
        code=delivery.code,
        note=delivery.note,
        moment=delivery.moment,
    )


def outcome_envelope(record: AggregateRecord[n.Notification], now: datetime) -> EventEnvelope:
    notification = record.state
    assert notification is not None
    event = n.outcome_event(notification)
    return EventEnvelope(
        id=str(uuid5(NAMESPACE_URL, f"labour-tracker:notification/{notification.id}/{notification.status}")),
        type=event.TYPE,
        version=record.version,
        aggregate_id=notification.id,
        time=now,
        causation_id=notification.event_id,
        data=to_data(event),
    )


class NotificationSender:
    def __init__(
        self,
        table: faust.types.tables.TableT,  # type: ignore[type-arg]
        events: faust.TopicT,
        dead_letters: faust.TopicT,
        channels: Mapping[ContactMethod, Channel],
        policy: RetryPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        requests: faust.TopicT | None = None,
    ) -> None:
        self.table = table
        self.events = events
        self.requests = requests  # where a resend is asked of the fan-out
        self.dead_letters = dead_letters
        self.channels = channels
        self.policy = policy
        self.clock = clock
        self.sleep = sleep

    async def handle(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        await parked_on_failure(self._send(key, value, message), self.dead_letters, key, value, message, self.clock)

    async def handle_report(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        applied = self._apply_report(key, value, message.partition)
        await parked_on_failure(applied, self.dead_letters, key, value, message, self.clock)

    async def handle_resend(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        taken = self._take_resend(key, value, message.partition)
        await parked_on_failure(taken, self.dead_letters, key, value, message, self.clock)

    async def _take_resend(self, key: str | None, value: bytes | None, partition: int) -> None:
        """Take a resend on the partition it came on (co-partitioned with the table): count it on the original's record
        and ask the fan-out for it, both durable before the message is done; a resend not taken asks nothing."""
        try:
            resend = NotificationResend.model_validate_json(value or b"")
        except ValidationError:
            raise Unusable("not a valid notification resend") from None
        if key != resend.notification_id:  # its count is written on the key's partition
            raise Unusable("the key must be the resend's notification_id")
        record: AggregateRecord[n.Notification] = self.table.get(resend.notification_id) or AggregateRecord()
        original = record.state
        if original is None:
            log.info("resend of notification %s ignored: no such notification here", resend.notification_id)
            return
        taken = n.resent(original, number=resend.resend, birthing_person_id=resend.birthing_person_id, now=self.clock())
        if taken is None:
            log.info("resend %d of notification %s not taken", resend.resend, original.id)
            return
        assert self.requests is not None, "a sender taking resends is given the requests topic"
        request = NotificationRequest(
            event_id=original.event_id,
            event_type=original.event_type,
            event_time=original.created_at,
            birthing_person_id=original.birthing_person_id,
            birthing_person_first_name=resend.birthing_person_first_name,
            birthing_person_last_name=resend.birthing_person_last_name,
            labour_id=original.labour_id,
            subscriber_id=original.subscriber_id,
            channel=original.channel,
            resend=resend.resend,
            note=resend.note,
            moment=resend.moment,
            update_id=original.update_id,
        )
        asked = await self.requests.send(key=original.subscriber_id, value=request.model_dump_json().encode())
        record, stored = self._store(record, taken, partition)
        await asked
        await stored
        log.info("notification %s resent as %s", original.id, n.resend_id(original.id, resend.resend))

    async def _apply_report(self, key: str | None, value: bytes | None, partition: int) -> None:
        """Apply a report on the partition it came on (co-partitioned with the table, like the deliveries)."""
        try:
            report = NotificationReport.model_validate_json(value or b"")
        except ValidationError:
            raise Unusable("not a valid notification report") from None
        if key != report.notification_id:  # its status is written on the key's partition
            raise Unusable("the key must be the report's notification_id")
        record: AggregateRecord[n.Notification] = self.table.get(report.notification_id) or AggregateRecord()
        if record.state is None:
            log.info("report on notification %s ignored: no such notification here", report.notification_id)
            return
        now = self.clock()
        changed = n.reported(
            record.state, provider_id=report.provider_id, provider_status=report.provider_status, now=now
        )
        if changed is record.state:
            return  # the same report again, one passed already, or one about another message: nothing moves
        record, stored = self._store(record, changed, partition)
        announced = await self._announce(record)
        await stored
        await announced
        notifications_total.labels(channel=changed.channel.value, status=changed.status.value).inc()

    async def _send(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> None:
        delivery = read_delivery(key, value)
        record: AggregateRecord[n.Notification] = self.table.get(delivery.notification_id) or AggregateRecord()
        if record.state is not None and record.state.is_final:
            if record.has_taken(message.partition, message.offset):  # the delivery that recorded it, again
                await (await self._announce(record))
            return  # sent or failed before: a repeat
        place = (message.partition, message.offset)
        if delivery.withheld is not None and record.state is None:  # a cap withheld it: no provider is called
            withheld = n.failed(self._pending(delivery), reason=delivery.withheld, now=self.clock())
            await self._finish(record, withheld, place, settle=False)
            return
        final = await self._deliver(record, delivery, place)
        if final.status is n.NotificationStatus.FAILED and final.reason and final.reason.startswith(GAVE_UP):
            await dead_letter(self.dead_letters, key, value, message, final.reason, self.clock())

    async def _deliver(
        self, record: AggregateRecord[n.Notification], delivery: NotificationDelivery, place: tuple[int, int]
    ) -> n.Notification:
        """Send it, from `place` (the delivery's partition and offset), recording each status on that partition."""
        partition = place[0]
        channel = self.channels[delivery.channel]
        message = outgoing(delivery)
        interrupted = record.state is not None  # pending: an earlier send stopped before its outcome was recorded
        notification = record.state or self._pending(delivery)
        while True:
            notification = n.attempted(notification, now=self.clock())
            record, stored = self._store(record, notification, partition)
            await stored  # pending is safe in Kafka before the provider is called: a crash cannot send twice
            try:
                provider_id = await channel.delivered_before(message) if interrupted else None
                interrupted = False
                provider_id = provider_id or await channel.send(message, now=self.clock())
            except DeliveryUnknown as unknown:
                return await self._finish(
                    record, n.failed(notification, reason=unknown.reason, now=self.clock()), place
                )
            except Permanent as refusal:
                return await self._finish(
                    record, n.failed(notification, reason=refusal.reason, now=self.clock()), place
                )
            except Transient as failure:
                if self.policy.gives_up_after(notification.attempts):
                    reason = f"{GAVE_UP} {notification.attempts} attempts: {failure.reason}"
                    return await self._finish(record, n.failed(notification, reason=reason, now=self.clock()), place)
                wait = self.policy.delay(notification.attempts)
                log.warning("notification %s: %s; retrying in %.1f s", notification.id, failure.reason, wait)
                await self.sleep(wait)
                continue
            sent = n.sent(notification, provider_id=provider_id, now=self.clock())
            return await self._finish(record, sent, place)

    def _pending(self, delivery: NotificationDelivery) -> n.Notification:
        return n.pending(
            id=delivery.notification_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            birthing_person_id=delivery.birthing_person_id,
            labour_id=delivery.labour_id,
            subscriber_id=delivery.subscriber_id,
            channel=delivery.channel,
            destination=delivery.destination,
            now=self.clock(),
            update_id=delivery.update_id,
        )

    def _store(
        self, record: AggregateRecord[n.Notification], notification: n.Notification, partition: int
    ) -> tuple[AggregateRecord[n.Notification], Awaitable[Any]]:
        """Write the status to the table and its changelog; returns the record and the changelog's acknowledgement
        (awaited rather than a producer flush, which Faust ends early when its buffer is slow)."""
        changed = replace(record, state=notification, version=record.version + 1)  # the mirror keeps the highest
        self.table.data[notification.id] = changed
        stored: Awaitable[Any] = self.table.send_changelog(partition, notification.id, changed)
        return changed, stored

    async def _finish(
        self,
        record: AggregateRecord[n.Notification],
        notification: n.Notification,
        place: tuple[int, int],
        *,
        settle: bool = True,
    ) -> n.Notification:
        """Record the outcome, with the place of the delivery that decided it, and announce it; both durable. With
        `settle`, the channel then lets go of what it kept to finish an interrupted send."""
        record, stored = self._store(record.taken_at(*place), notification, place[0])
        announced = await self._announce(record)
        await stored
        await announced
        if settle:
            await self.channels[notification.channel].settled(notification.id)
        notifications_total.labels(channel=notification.channel.value, status=notification.status.value).inc()
        if notification.status is n.NotificationStatus.FAILED:
            log.warning("notification %s failed: %s", notification.id, notification.reason)
        return notification

    async def _announce(self, record: AggregateRecord[n.Notification]) -> Awaitable[Any]:
        """Publish its `notification.sent` / `notification.failed` event; returns the broker's acknowledgement."""
        assert record.state is not None
        envelope = outcome_envelope(record, self.clock()).model_dump_json().encode()
        published: Awaitable[Any] = await self.events.send(key=record.state.id, value=envelope)
        return published


GAVE_UP = "gave up after"  # the start of the reason when transient failures outlasted every retry


def notification_sender(app: LabourTrackerApp, topics: Topics, tables: Tables) -> Any:
    settings = app.settings

    # Concurrency 1: each notification id is on one partition, and one delivery at a time keeps the check-then-send
    # of its status free of races.
    async def notification_sender_agent(stream: faust.StreamT[bytes]) -> None:
        channels = open_channels(settings)
        sender = NotificationSender(
            tables.notifications,
            topics.notification_events,
            topics.dead_letters,
            channels,
            RetryPolicy(settings.notify_max_attempts, settings.notify_retry_delay),
            requests=topics.notification_requests,
        )
        handlers = {
            topics.notification_reports.get_topic_name(): sender.handle_report,
            topics.notification_resends.get_topic_name(): sender.handle_resend,
        }
        try:
            async for event in stream.events():
                handle = handlers.get(event.message.topic, sender.handle)
                await handle(readable_key(event.key), event.value, event.message)
        finally:
            for channel in channels.values():
                await channel.close()

    # Deliveries, reports and resends, each keyed by notification id and co-partitioned with the table, in one stream.
    all_three = app.topic(
        topics.notification_deliveries.get_topic_name(),
        topics.notification_reports.get_topic_name(),
        topics.notification_resends.get_topic_name(),
        key_type=bytes,
        key_serializer="raw",
        value_type=bytes,
        value_serializer="raw",
        partitions=settings.topic_partitions,
        internal=True,
        config=WORK_IN_FLIGHT,
    )
    return app.agent(all_three, name="notification_sender")(notification_sender_agent)
