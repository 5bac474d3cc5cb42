"""The notifier's own messages: a request to tell one subscriber about one event, and one notification to send.

Both travel on internal topics, between the notifier's agents; other systems read `notification.sent` and
`notification.failed` events instead.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field, model_validator

from labour_tracker.domain.labour.events import LabourCompleted, LabourUpdatePosted
from labour_tracker.domain.labour.model import Moment
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.domain.notification import CONFIRMATION_CODE, MAX_RESENDS, Names
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.messages.envelopes import Inbound

COMPLETED = LabourCompleted.TYPE
ANNOUNCED = LabourUpdatePosted.TYPE
NOTED = frozenset({COMPLETED, ANNOUNCED})  # the news that carries the person's own words
ID = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH)
NAME = Field(max_length=200)
NOTE = Field(
    None,
    max_length=2_000,
    description="The person's completion note (`labour.completed`) or announcement's message "
    "(`labour.update_posted`): personal, never logged.",
)
MOMENT = Field(None, description="A quick update's moment (`labour.update_posted` only): told in the service's words.")
UPDATE_ID = Field(
    None,
    min_length=1,
    max_length=MAX_AGGREGATE_ID_LENGTH,
    description="The update it tells of (`labour.update_posted` only): its record keeps it, so that a resend finds "
    "the update's words as they are now.",
)


def _words_fit(event_type: str, note: str | None, moment: Moment | None, update_id: str | None) -> None:
    """Raise unless the person's words, a quick update's moment and the update named fit news of `event_type`."""
    if note is not None and event_type not in NOTED:
        raise ValueError("only news of a completed labour or an announcement carries a note")
    if moment is not None and (event_type != ANNOUNCED or note is not None):
        raise ValueError("only a quick update carries a moment, and no note")
    if update_id is not None and event_type != ANNOUNCED:
        raise ValueError("only news of an update names it")


class NotificationRequest(Inbound):
    """Tell one subscriber about one event; keyed by the subscriber id, to reach the subscriber's partition."""

    event_id: str = Field(min_length=1, max_length=128, description="The id of the event to tell about.")
    event_type: str = Field(description="One of those that subscribers are told about.")
    event_time: AwareDatetime
    birthing_person_id: str = ID
    birthing_person_first_name: str = NAME
    birthing_person_last_name: str = NAME
    labour_id: str = ID
    subscriber_id: str = ID
    note: str | None = NOTE
    moment: Moment | None = MOMENT
    update_id: str | None = UPDATE_ID
    channel: ContactMethod | None = Field(
        None, description="Set for a resend: that channel only (else every channel the subscriber confirmed)."
    )
    resend: int = Field(
        0, ge=0, le=MAX_RESENDS, description="Which resend of the channel's notification this is (0: not a resend)."
    )

    @model_validator(mode="after")
    def _a_resend_names_its_channel(self) -> NotificationRequest:
        if (self.resend > 0) != (self.channel is not None):
            raise ValueError("a resend names its channel, and only a resend does")
        _words_fit(self.event_type, self.note, self.moment, self.update_id)
        return self


class NotificationDelivery(Inbound):
    """One notification to send, to one destination: keyed by the destination's keyed digest on
    `notifications.destinations`, to be counted against its cap, then by its id on `notifications.deliveries`, to
    reach the partition of its status."""

    notification_id: str = Field(
        description="Derived from event id, subscriber id and channel; for a resend, from that id and `resend`."
    )
    event_id: str = Field(min_length=1, max_length=128)
    event_type: str
    event_time: AwareDatetime
    birthing_person_id: str = Field("", max_length=MAX_AGGREGATE_ID_LENGTH, description="Empty for a code.")
    birthing_person_first_name: str = Field("", max_length=200)
    birthing_person_last_name: str = Field("", max_length=200)
    labour_id: str = Field("", max_length=MAX_AGGREGATE_ID_LENGTH, description="Empty for a code.")
    subscriber_id: str = ID
    subscriber_first_name: str = NAME
    subscriber_last_name: str = NAME
    channel: ContactMethod
    destination: str = Field(min_length=1, max_length=320, description="The phone number or email address.")
    code: str | None = Field(None, pattern=r"^[0-9]{4,12}$", description="A confirmation code, for that type only.")
    resend: int = Field(0, ge=0, le=MAX_RESENDS, description="Which resend this is (0: not a resend).")
    note: str | None = NOTE
    moment: Moment | None = MOMENT
    update_id: str | None = UPDATE_ID
    withheld: str | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Set where a cap stopped it (`destination_cap_reached: …`): it is not sent, and its notification "
        "is recorded as failed with this reason.",
    )

    @model_validator(mode="after")
    def _about_a_labour_or_a_code(self) -> NotificationDelivery:
        """News of a labour names the labour and its person; a code message carries its code."""
        if self.event_type == CONFIRMATION_CODE:
            if self.code is None:
                raise ValueError("a confirmation code message needs its code")
        elif self.code is not None or not (self.birthing_person_id and self.labour_id):
            raise ValueError("news of a labour names its person and labour, and carries no code")
        _words_fit(self.event_type, self.note, self.moment, self.update_id)
        return self

    @property
    def names(self) -> Names:
        return Names(self.subscriber_first_name, self.birthing_person_first_name, self.birthing_person_last_name)

    @property
    def subscriber_full_name(self) -> str:
        return f"{self.subscriber_first_name} {self.subscriber_last_name}".strip()


class NotificationReport(Inbound):
    """What the provider reported on a sent SMS (Twilio's delivery status callback, its signature checked), for the
    record's owner to apply; keyed by the notification id on `notifications.reports`, to reach the partition of its
    status."""

    notification_id: str = Field(min_length=1, max_length=128, description="From the status callback's query.")
    provider_id: str = Field(
        min_length=1, max_length=64, description="Twilio's `MessageSid`: must be the one the record holds."
    )
    provider_status: str = Field(
        min_length=1, max_length=32, description="Twilio's `MessageStatus`: `delivered`, `undelivered`, `failed`, …"
    )


class NotificationResend(Inbound):
    """The person a failed notification is about asks for it to be sent again; keyed by the notification id on
    `notifications.resends`, for the sender that owns its record to take (or not) and ask the fan-out again."""

    notification_id: str = Field(min_length=1, max_length=128, description="The failed notification's id.")
    resend: int = Field(ge=1, le=MAX_RESENDS, description="Which resend this asks for: the next one, from 1.")
    birthing_person_id: str = ID  # who asks: the person the notification is about
    birthing_person_first_name: str = NAME
    birthing_person_last_name: str = NAME
    note: str | None = Field(
        None,
        max_length=2_000,
        description="The words its news carries now: the completion note, or the announcement's current message; "
        "personal, never logged.",
    )
    moment: Moment | None = Field(None, description="A quick update's moment, told in the service's words.")

    @model_validator(mode="after")
    def _a_note_or_a_moment(self) -> NotificationResend:
        if self.note is not None and self.moment is not None:
            raise ValueError("a quick update carries a moment, and no note")
        return self
