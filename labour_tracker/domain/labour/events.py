"""What happened to a birthing person; each event carries everything `evolve` needs to apply it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from labour_tracker.domain.labour.model import Moment, Phase, Role, UpdateKind


@dataclass(frozen=True, slots=True)
class BirthingPersonRegistered:
    TYPE: ClassVar[str] = "birthing_person.registered"
    birthing_person_id: str
    first_name: str
    last_name: str


@dataclass(frozen=True, slots=True)
class LabourPlanned:
    """The labour to come, planned or its plan replaced (the same labour id on a replacement)."""

    TYPE: ClassVar[str] = "labour.planned"
    birthing_person_id: str
    labour_id: str
    due_date: date
    first_labour: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class LabourPlanCancelled:
    TYPE: ClassVar[str] = "labour.plan_cancelled"
    birthing_person_id: str
    labour_id: str


@dataclass(frozen=True, slots=True)
class LabourBegun:
    TYPE: ClassVar[str] = "labour.begun"
    birthing_person_id: str
    labour_id: str
    first_labour: bool
    start_time: datetime
    begun_at: datetime | None = None  # when the service took the command (start_time may be earlier); None before
    name: str | None = None  # the planned labour's name


@dataclass(frozen=True, slots=True)
class ContractionStarted:
    TYPE: ClassVar[str] = "contraction.started"
    birthing_person_id: str
    labour_id: str
    contraction_id: str
    start_time: datetime
    intensity: int | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ContractionEnded:
    """Carries the contraction's final intensity and notes, already merged with those given at its start."""

    TYPE: ClassVar[str] = "contraction.ended"
    birthing_person_id: str
    labour_id: str
    contraction_id: str
    end_time: datetime
    intensity: int
    notes: str | None


@dataclass(frozen=True, slots=True)
class ContractionEdited:
    """A contraction corrected: its values as they are now. `undo`: it takes back the latest change."""

    TYPE: ClassVar[str] = "contraction.edited"
    birthing_person_id: str
    labour_id: str
    contraction_id: str
    start_time: datetime
    end_time: datetime | None
    intensity: int | None
    notes: str | None
    changed_at: datetime
    undo: bool = False


@dataclass(frozen=True, slots=True)
class ContractionAdded:
    """A missed contraction added between the others (or a deleted one restored by an undo)."""

    TYPE: ClassVar[str] = "contraction.added"
    birthing_person_id: str
    labour_id: str
    contraction_id: str
    start_time: datetime
    end_time: datetime
    intensity: int | None
    notes: str | None
    changed_at: datetime
    undo: bool = False


@dataclass(frozen=True, slots=True)
class ContractionDeleted:
    TYPE: ClassVar[str] = "contraction.deleted"
    birthing_person_id: str
    labour_id: str
    contraction_id: str
    changed_at: datetime
    undo: bool = False


@dataclass(frozen=True, slots=True)
class LabourPhaseChanged:
    TYPE: ClassVar[str] = "labour.phase_changed"
    birthing_person_id: str
    labour_id: str
    from_phase: Phase
    to_phase: Phase


@dataclass(frozen=True, slots=True)
class PrepareForHospitalRecommended:
    """Contractions have kept the hospital rule's pattern for half its hour: time to get ready to go."""

    TYPE: ClassVar[str] = "labour.prepare_for_hospital_recommended"
    birthing_person_id: str
    labour_id: str


@dataclass(frozen=True, slots=True)
class HospitalRecommended:
    TYPE: ClassVar[str] = "labour.hospital_recommended"
    birthing_person_id: str
    labour_id: str


@dataclass(frozen=True, slots=True)
class UrgentAttentionAdvised:
    TYPE: ClassVar[str] = "labour.urgent_attention_advised"
    birthing_person_id: str
    labour_id: str
    reason: str  # which rule fired: one of rules.UrgentReason


@dataclass(frozen=True, slots=True)
class LabourCompleted:
    """Ends the labour and moves it to the complete phase; no LabourPhaseChanged accompanies it."""

    TYPE: ClassVar[str] = "labour.completed"
    birthing_person_id: str
    labour_id: str
    end_time: datetime
    notes: str | None


@dataclass(frozen=True, slots=True)
class LabourDeleted:
    """A completed labour taken out of the person's history, and out of the mirror."""

    TYPE: ClassVar[str] = "labour.deleted"
    birthing_person_id: str
    labour_id: str


@dataclass(frozen=True, slots=True)
class LabourUpdatePosted:
    """An update of the labour under way; an announcement is sent to subscribers, a quick one (`moment`) in the
    service's words."""

    TYPE: ClassVar[str] = "labour.update_posted"
    birthing_person_id: str
    labour_id: str
    update_id: str
    kind: UpdateKind
    message: str | None  # None for a quick update
    moment: Moment | None
    posted_by: str
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class LabourUpdateEdited:
    """An update's message replaced; an announcement is not sent again."""

    TYPE: ClassVar[str] = "labour.update_edited"
    birthing_person_id: str
    labour_id: str
    update_id: str
    message: str
    edited_at: datetime


@dataclass(frozen=True, slots=True)
class LabourUpdateDeleted:
    TYPE: ClassVar[str] = "labour.update_deleted"
    birthing_person_id: str
    labour_id: str
    update_id: str
    kind: UpdateKind | None = None  # what it was, so that followers never hear of a private note; None before 2.3.0


@dataclass(frozen=True, slots=True)
class SubscriptionTokenRotated:
    TYPE: ClassVar[str] = "birthing_person.subscription_token_rotated"
    birthing_person_id: str
    subscription_token_version: int  # the new version; every token of an earlier one is invalid


@dataclass(frozen=True, slots=True)
class SubscriberAdded:
    """A subscriber follows the person now: approved in a role, or at once by the person's setting."""

    TYPE: ClassVar[str] = "birthing_person.subscriber_added"
    birthing_person_id: str
    subscriber_id: str
    # None: stored before roles, when every follower got every alert; such a follower is a birth partner.
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class FollowRequested:
    """A subscriber with the person's token asks to follow them; they hear nothing until the person approves."""

    TYPE: ClassVar[str] = "birthing_person.follow_requested"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class FollowRequestRejected:
    """The person turned a follow request down; the subscriber's side lets go of them."""

    TYPE: ClassVar[str] = "birthing_person.follow_request_rejected"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class FollowerRoleChanged:
    """The person gave a follower another role: what they may do and hear of changes from the next event on."""

    TYPE: ClassVar[str] = "birthing_person.follower_role_changed"
    birthing_person_id: str
    subscriber_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class FollowerSettingsChanged:
    """Whether a subscribe with the person's token makes a follower at once (friends and family) or a request."""

    TYPE: ClassVar[str] = "birthing_person.follower_settings_changed"
    birthing_person_id: str
    approve_followers_at_once: bool


@dataclass(frozen=True, slots=True)
class SubscriberTurnedAway:
    """A subscribe authorised with a share token rotated since: not added, and undone on the subscriber's side."""

    TYPE: ClassVar[str] = "birthing_person.subscriber_turned_away"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class FollowerRemoved:
    """The person stopped a subscriber following them; the subscriber's side lets go of them too."""

    TYPE: ClassVar[str] = "birthing_person.follower_removed"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class SubscriberBlocked:
    TYPE: ClassVar[str] = "birthing_person.subscriber_blocked"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class SubscriberUnblocked:
    TYPE: ClassVar[str] = "birthing_person.subscriber_unblocked"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class SubscriberRemoved:
    TYPE: ClassVar[str] = "birthing_person.subscriber_removed"
    birthing_person_id: str
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class BirthingPersonErased:
    """The person deleted their account: the state is gone, and their subscribers (and those still asking to follow)
    are told to let go of them."""

    TYPE: ClassVar[str] = "birthing_person.erased"
    birthing_person_id: str
    subscriber_ids: tuple[str, ...]


BirthingPersonEvent = (
    BirthingPersonRegistered
    | LabourPlanned
    | LabourPlanCancelled
    | LabourBegun
    | ContractionStarted
    | ContractionEnded
    | ContractionEdited
    | ContractionAdded
    | ContractionDeleted
    | LabourPhaseChanged
    | PrepareForHospitalRecommended
    | HospitalRecommended
    | UrgentAttentionAdvised
    | LabourCompleted
    | LabourDeleted
    | SubscriptionTokenRotated
    | SubscriberAdded
    | SubscriberTurnedAway
    | SubscriberRemoved
    | FollowerRemoved
    | SubscriberBlocked
    | SubscriberUnblocked
    | BirthingPersonErased
    | LabourUpdatePosted
    | LabourUpdateEdited
    | LabourUpdateDeleted
    | FollowRequested
    | FollowRequestRejected
    | FollowerRoleChanged
    | FollowerSettingsChanged
)

EVENT_TYPES: dict[str, type[BirthingPersonEvent]] = {
    event.TYPE: event
    for event in (
        BirthingPersonRegistered,
        LabourPlanned,
        LabourPlanCancelled,
        LabourBegun,
        ContractionStarted,
        ContractionEnded,
        ContractionEdited,
        ContractionAdded,
        ContractionDeleted,
        LabourPhaseChanged,
        PrepareForHospitalRecommended,
        HospitalRecommended,
        UrgentAttentionAdvised,
        LabourCompleted,
        LabourDeleted,
        SubscriptionTokenRotated,
        SubscriberAdded,
        SubscriberTurnedAway,
        SubscriberRemoved,
        FollowerRemoved,
        SubscriberBlocked,
        SubscriberUnblocked,
        BirthingPersonErased,
        LabourUpdatePosted,
        LabourUpdateEdited,
        LabourUpdateDeleted,
        FollowRequested,
        FollowRequestRejected,
        FollowerRoleChanged,
        FollowerSettingsChanged,
    )
}

# The events that say who the person is or how their labour goes (health data); the others carry ids only.
PERSONAL_EVENT_TYPES: frozenset[str] = frozenset(
    event.TYPE
    for event in (
        BirthingPersonRegistered,
        LabourPlanned,
        LabourBegun,
        ContractionStarted,
        ContractionEnded,
        ContractionEdited,
        ContractionAdded,
        ContractionDeleted,
        LabourPhaseChanged,
        PrepareForHospitalRecommended,
        HospitalRecommended,
        UrgentAttentionAdvised,
        LabourCompleted,
        LabourUpdatePosted,
        LabourUpdateEdited,
        LabourUpdateDeleted,
    )
)
