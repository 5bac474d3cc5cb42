"""What the API answers with: views of the domain state, as pydantic models (they also make the OpenAPI schemas)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from labour_tracker.domain import labour, subscriber
from labour_tracker.domain.limits import PAST_LABOURS_KEPT
from labour_tracker.domain.notification import FailureCode, NotificationStatus
from labour_tracker.memo import LastUsed, SequenceJson


class View(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> bytes:
        """The view as an answer's body."""
        return self.__pydantic_serializer__.to_json(self)


class ContractionView(View):
    # Read from a domain Contraction's attributes by pydantic itself.
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    start_time: datetime
    end_time: datetime | None
    duration_seconds: float | None = Field(validation_alias="duration")  # the domain's, in seconds
    intensity: int | None
    notes: str | None

    @field_validator("duration_seconds", mode="before")
    @classmethod
    def _in_seconds(cls, duration: timedelta | None) -> float | None:
        return duration.total_seconds() if duration is not None else None

    @classmethod
    def of(cls, contraction: labour.Contraction) -> ContractionView:
        return cls.model_validate(contraction)


class ContractionPatternView(View):
    count: int
    mean_duration_seconds: float | None
    mean_intensity: float | None
    mean_frequency_seconds: float | None = Field(description="Mean time from one contraction's start to the next's.")


class PatternView(View):
    last_hour: ContractionPatternView
    whole_labour: ContractionPatternView

    @classmethod
    def of(cls, found: labour.LabourPattern) -> PatternView:
        return cls(
            last_hour=ContractionPatternView.model_validate(found.last_hour, from_attributes=True),
            whole_labour=ContractionPatternView.model_validate(found.whole_labour, from_attributes=True),
        )


class LabourRecordView(View):
    """A labour as it happened: what the mirror keeps of past labours."""

    id: str
    first_labour: bool
    name: str | None = Field(description="The name given when it was planned.")
    start_time: datetime
    end_time: datetime | None
    phase: labour.Phase
    notes: str | None
    alerts: list[labour.Alert]
    contractions: list[ContractionView]


class LabourUpdateView(View):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    # A domain LabourUpdate's fields, in its order: answers write the dataclass as it is.
    id: str
    kind: labour.UpdateKind = Field(description="`announcement`, `status_update` or `private_note` (yours alone).")
    message: str | None = Field(description="Null for a quick update, until a message is edited in.")
    posted_by: str = Field(description="The id of who posted it.")
    posted_at: datetime
    edited_at: datetime | None
    moment: labour.Moment | None = Field(description="A quick update's moment, for an icon; null otherwise.")

    @classmethod
    def of(cls, update: labour.LabourUpdate) -> LabourUpdateView:
        return cls.model_validate(update)


class LabourView(LabourRecordView):
    """A labour with its live pattern."""

    pattern: PatternView
    updates: list[LabourUpdateView] = Field(
        description="In the order they were posted; a subscriber sees announcements and status updates only."
    )


class LabourSummaryView(View):
    id: str
    first_labour: bool
    name: str | None
    start_time: datetime
    end_time: datetime | None
    phase: labour.Phase
    contraction_count: int
    active_contraction: ContractionView | None
    last_contraction: ContractionView | None = Field(description="The latest ended contraction.")
    pattern: PatternView
    alerts: list[labour.Alert]
    hospital_recommended: bool
    urgent_attention_advised: bool

    @classmethod
    def of(cls, found: labour.Labour, now: datetime) -> LabourSummaryView:
        active, ended = found.active_contraction, found.ended_contractions
        return cls(
            id=found.id,
            first_labour=found.first_labour,
            name=found.name,
            start_time=found.start_time,
            end_time=found.end_time,
            phase=found.phase,
            contraction_count=len(found.contractions),
            active_contraction=ContractionView.of(active) if active else None,
            last_contraction=ContractionView.of(ended[-1]) if ended else None,
            pattern=PatternView.of(_pattern(found, now)),  # the running sums the labour's answers keep
            alerts=sorted(found.alerts),
            hospital_recommended=labour.Alert.HOSPITAL in found.alerts,
            urgent_attention_advised=labour.Alert.URGENT_ATTENTION in found.alerts,
        )


class PastLabourView(View):
    id: str
    first_labour: bool
    start_time: datetime
    end_time: datetime | None
    phase: labour.Phase


class LabourPlanView(View):
    """The labour to come, planned: it begins with this id."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    due_date: date
    first_labour: bool
    name: str | None
    phase: labour.Phase = Field(description="Always `planned`.")

    @classmethod
    def of(cls, plan: labour.LabourPlan) -> LabourPlanView:
        return cls.model_validate(plan)


class LabourPlanResponse(View):
    plan: LabourPlanView


class BirthingPersonView(View):
    id: str
    first_name: str
    last_name: str
    active_labour_id: str | None
    plan: LabourPlanView | None = Field(description="The labour to come, if one is planned.")
    labours: list[PastLabourView] = Field(
        description=f"The latest labours, in the order they began ({PAST_LABOURS_KEPT + 1} at most; "
        "`/birthing-person/labours` has them all)."
    )
    subscribers: list[str] = Field(description="Ids of the subscribers following this person.")
    blocked: list[str] = Field(description="Ids of the subscribers this person stopped from following again.")
    follow_requests: list[str] = Field(
        description="Ids of the subscribers asking to follow, in the order they asked: they hear nothing and cannot "
        "read your labour until you approve them."
    )
    roles: dict[str, labour.Role] = Field(description="Each follower's role, by subscriber id.")
    approve_followers_at_once: bool = Field(
        description="Whether a subscribe with your token makes a follower at once (as friends and family) rather "
        "than a follow request."
    )

    @classmethod
    def of(cls, person: labour.BirthingPerson) -> BirthingPersonView:
        active, latest = person.active_labour, person.latest_labour
        return cls(
            id=person.id,
            first_name=person.first_name,
            last_name=person.last_name,
            active_labour_id=active.id if active else None,
            plan=LabourPlanView.of(person.plan) if person.plan else None,
            labours=[
                PastLabourView.model_validate(each, from_attributes=True)
                for each in (*person.past_labours, *([latest] if latest else []))
            ],
            subscribers=sorted(person.subscribers),
            blocked=sorted(person.blocked),
            follow_requests=list(person.follow_requests),
            roles={each: role for each in sorted(person.subscribers) if (role := person.role_of(each)) is not None},
            approve_followers_at_once=person.approve_followers_at_once,
        )


class BirthingPersonResponse(View):
    birthing_person: BirthingPersonView


class LabourResponse(View):
    labour: LabourView


LABOURS_KEPT = 4096  # some 20 KiB each at 150 contractions
# Every answer about a labour carries all its contractions; a command adds one or changes the latest.
LABOURS_BUDGET = 16 * 1024 * 1024  # bytes of their contractions' JSON at most
_contractions_json: SequenceJson[labour.Contraction] = SequenceJson(
    lambda contraction: ContractionView.of(contraction).to_json(), LABOURS_KEPT, LABOURS_BUDGET
)
_patterns: LastUsed[labour.RunningPattern] = LastUsed(LABOURS_KEPT)  # and the pattern from running sums, by labour


def _pattern(found: labour.Labour, now: datetime) -> labour.LabourPattern:
    running = _patterns.take(found.id) or labour.RunningPattern()
    _patterns.keep(found.id, running)
    return running.pattern(found, now)


def labour_response_json(found: labour.Labour, now: datetime, *, follower: bool = False) -> bytes:
    """The `LabourResponse` about `found` as pydantic writes it; only contractions new or changed since the last
    answer about that labour are written again, and only those that ended since are added to its pattern. A
    `follower` (a subscriber) is answered without the person's private notes."""
    updates = labour.updates_for_followers(found.updates) if follower else found.updates
    view = {  # LabourView's fields, in its order
        "id": found.id,
        "first_labour": found.first_labour,
        "name": found.name,
        "start_time": found.start_time,
        "end_time": found.end_time,
        "phase": found.phase,
        "notes": found.notes,
        "alerts": sorted(found.alerts),
        "contractions": orjson.Fragment(_contractions_json.of(found.id, found.contractions)),
        "pattern": _pattern(found, now),  # a dataclass with PatternView's fields
        "updates": updates,  # dataclasses with LabourUpdateView's fields
    }
    return orjson.dumps({"labour": view}, option=orjson.OPT_UTC_Z)


class LabourSummaryResponse(View):
    summary: LabourSummaryView


class SubscriptionTokenResponse(View):
    token: str = Field(description="Share it with the people who may subscribe; rotating it revokes it.")


class SubscriberView(View):
    id: str
    first_name: str
    last_name: str
    contact_methods: list[subscriber.ContactMethod]
    confirmed: list[subscriber.ContactMethod] = Field(
        description="Channels whose destination is confirmed: notifications go only to these. Confirm another with "
        "`POST /subscriber/confirmation-code` and `POST /subscriber/confirm`."
    )
    subscribed_to: list[str] = Field(description="Ids of the birthing persons this subscriber follows.")
    subscription_contact_methods: dict[str, list[subscriber.ContactMethod]] = Field(
        description="The channels chosen for a person followed, by their id; news about the others goes by "
        "`contact_methods`."
    )

    @classmethod
    def of(cls, found: subscriber.Subscriber) -> SubscriberView:
        return cls(
            id=found.id,
            first_name=found.first_name,
            last_name=found.last_name,
            contact_methods=sorted(found.contact_methods),
            confirmed=sorted(found.confirmed),
            subscribed_to=sorted(found.subscribed_to),
            subscription_contact_methods={
                person: sorted(methods) for person, methods in sorted(found.subscription_contact_methods.items())
            },
        )


class SubscriberResponse(View):
    subscriber: SubscriberView


class Page(View):
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class FollowedPersonView(View):
    id: str = Field(description="Id of a birthing person you follow.")
    first_name: str | None = Field(description="Null until the person's record reaches the mirror.")
    last_name: str | None
    contact_methods: list[subscriber.ContactMethod] = Field(
        description="How you are told about them: the channels you chose for them, or your account's."
    )
    status: Literal["pending", "approved"] = Field(
        description="`pending` until the person approves your follow request; you hear nothing before."
    )
    role: labour.Role | None = Field(description="The role the person gave you; null while pending.")


class SubscriptionsResponse(Page):
    subscriptions: list[FollowedPersonView]


class SubscriberSummaryView(View):
    id: str = Field(description="Id of a subscriber following you.")
    first_name: str
    last_name: str
    contact_methods: list[subscriber.ContactMethod] = Field(
        description="How they are told about you: the channels they chose for you, or their account's."
    )
    role: labour.Role = Field(description="`birth_partner` or `friends_and_family`.")


class SubscribersResponse(Page):
    subscribers: list[SubscriberSummaryView]


class FollowRequestView(View):
    id: str = Field(description="Id of a subscriber asking to follow you.")
    first_name: str | None = Field(description="Null until the subscriber's record reaches the mirror.")
    last_name: str | None


class FollowRequestsResponse(View):
    follow_requests: list[FollowRequestView] = Field(description="In the order they asked.")


class LaboursResponse(Page):
    labours: list[LabourRecordView]


class LabourExportView(LabourRecordView):
    updates: list[LabourUpdateView] = Field(description="In the order they were posted, private notes too.")


class LabourExportResponse(View):
    """A labour downloaded as JSON (`?format=json`): the labour and all its contractions in the order they started,
    then its updates."""

    labour: LabourExportView


class NotificationView(View):
    id: str = Field(description="The notification's id.")
    event_type: str = Field(description="What it told: `labour.begun`, …, or `subscriber.confirmation_code_sent`.")
    birthing_person_id: str | None = Field(description="Whom it was about; null for a confirmation code.")
    birthing_person_name: str | None = Field(description="Their name, when the mirror knows it.")
    subscriber_id: str = Field(description="To whom it was sent.")
    subscriber_name: str | None = Field(description="Their name, when the mirror knows it.")
    channel: subscriber.ContactMethod
    status: NotificationStatus = Field(
        description="pending, sent, failed; an SMS moves on from sent to delivered or undelivered as Twilio reports."
    )
    failure: FailureCode | None = Field(description="Why it failed or was undelivered, as a stable code.")
    destination: str = Field(description="Where it went, masked: `+44•••••••123`, `s•••@example.org`.")
    created_at: datetime
    updated_at: datetime


class ResendResponse(View):
    notification_id: str = Field(description="The resend's id: its status shows in the list a moment later.")
    resend_of: str = Field(description="The failed notification it resends.")
    resend: int = Field(description="Which resend of it this is, from 1.")


class NotificationsResponse(Page):
    notifications: list[NotificationView] = Field(description="Newest first.")


class TwilioStatusForm(BaseModel):
    """The form fields of Twilio's status callback this service reads (Twilio sends more; they are signed too)."""

    MessageSid: str = Field(description="The message's SID, as Twilio answered when it was sent.")
    MessageStatus: str = Field(description="`queued`, `sent`, `delivered`, `undelivered`, `failed`, …")


class ErrorResponse(View):
    description: str
    code: str
    details: list[dict[str, object]] | None = None


class HealthResponse(View):
    status: str


class ReadinessResponse(View):
    status: str = Field(description="`ready` or `not_ready`.")
    checks: dict[str, str] = Field(
        description="Each dependency: `up` or `down`; the worker and its live feed: `serving`, `following` or "
        "`starting`."
    )
