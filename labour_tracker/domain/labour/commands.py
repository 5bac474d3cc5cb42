"""What can be asked of a birthing person's labour tracking; each may be refused with a DomainError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from labour_tracker.domain.labour.model import Moment, Role, UpdateKind


@dataclass(frozen=True, slots=True)
class RegisterBirthingPerson:
    TYPE: ClassVar[str] = "birthing_person.register"
    birthing_person_id: str
    first_name: str
    last_name: str


@dataclass(frozen=True, slots=True)
class PlanLabour:
    """Make, or replace, the plan of the labour to come, while none is under way."""

    TYPE: ClassVar[str] = "labour.plan"
    due_date: date
    first_labour: bool
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CancelPlan:
    TYPE: ClassVar[str] = "labour.cancel_plan"


@dataclass(frozen=True, slots=True)
class BeginLabour:
    """Begin labour: the planned one, if there is a plan (its `first_labour` unless given here)."""

    TYPE: ClassVar[str] = "labour.begin"
    first_labour: bool | None = None  # required without a plan
    start_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class StartContraction:
    TYPE: ClassVar[str] = "contraction.start"
    intensity: int | None = None
    start_time: datetime | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class EndContraction:
    TYPE: ClassVar[str] = "contraction.end"
    intensity: int
    end_time: datetime | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class EditContraction:
    """Correct a contraction of the latest labour: each field given replaces it (notes "" clears them)."""

    TYPE: ClassVar[str] = "contraction.edit"
    contraction_id: str
    start_time: datetime | None = None
    end_time: datetime | None = None
    intensity: int | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteContraction:
    TYPE: ClassVar[str] = "contraction.delete"
    contraction_id: str


@dataclass(frozen=True, slots=True)
class AddContraction:
    """Add a contraction that was missed, ended, between the others."""

    TYPE: ClassVar[str] = "contraction.add"
    start_time: datetime
    end_time: datetime
    intensity: int
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class UndoContractionChange:
    """Take back the latest edit, addition or deletion of a contraction, within UNDO_WINDOW of it."""

    TYPE: ClassVar[str] = "contraction.undo"


@dataclass(frozen=True, slots=True)
class CompleteLabour:
    TYPE: ClassVar[str] = "labour.complete"
    end_time: datetime | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteLabour:
    """Delete a completed labour from the person's history."""

    TYPE: ClassVar[str] = "labour.delete"
    labour_id: str


@dataclass(frozen=True, slots=True)
class PostLabourUpdate:
    """Post an update of the labour under way: a message, or a quick update's `moment` (an announcement, in the
    service's words)."""

    TYPE: ClassVar[str] = "labour.post_update"
    kind: UpdateKind = UpdateKind.ANNOUNCEMENT
    message: str | None = None
    moment: Moment | None = None


@dataclass(frozen=True, slots=True)
class EditLabourUpdate:
    """Replace the message of an update of the latest labour; an announcement is not sent again."""

    TYPE: ClassVar[str] = "labour.edit_update"
    update_id: str
    message: str


@dataclass(frozen=True, slots=True)
class DeleteLabourUpdate:
    TYPE: ClassVar[str] = "labour.delete_update"
    update_id: str


@dataclass(frozen=True, slots=True)
class RotateSubscriptionToken:
    TYPE: ClassVar[str] = "birthing_person.rotate_subscription_token"
    remove_followers: bool = False  # everyone who follows now stops, as well as the old link


@dataclass(frozen=True, slots=True)
class RemoveFollower:
    """The person stops a subscriber following them; blocked, they cannot follow again until unblocked."""

    TYPE: ClassVar[str] = "birthing_person.remove_follower"
    subscriber_id: str
    block: bool = False


@dataclass(frozen=True, slots=True)
class UnblockSubscriber:
    TYPE: ClassVar[str] = "birthing_person.unblock_subscriber"
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class AddSubscriber:
    """Applied from the Subscriber context's `subscriber.subscribed_to`; idempotent."""

    TYPE: ClassVar[str] = "birthing_person.add_subscriber"
    subscriber_id: str
    # The version of the person's share token the subscribe was authorised with; None from before it was carried.
    token_version: int | None = None


@dataclass(frozen=True, slots=True)
class RemoveSubscriber:
    """Applied from the Subscriber context's `subscriber.unsubscribed_from`; idempotent."""

    TYPE: ClassVar[str] = "birthing_person.remove_subscriber"
    subscriber_id: str


@dataclass(frozen=True, slots=True)
class AuthoriseSubscriber:
    """Asks whether `subscriber_id` may follow this person with `token`; changes nothing, or is refused."""

    TYPE: ClassVar[str] = "birthing_person.authorise_subscriber"
    subscriber_id: str
    token: str


@dataclass(frozen=True, slots=True)
class ApproveFollowRequest:
    """The person lets a subscriber who asked follow them, in a role."""

    TYPE: ClassVar[str] = "birthing_person.approve_follow_request"
    subscriber_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class RejectFollowRequest:
    """The person turns a follow request down (their side lets go); blocked, they cannot ask again until unblocked."""

    TYPE: ClassVar[str] = "birthing_person.reject_follow_request"
    subscriber_id: str
    block: bool = False


@dataclass(frozen=True, slots=True)
class ChangeFollowerRole:
    TYPE: ClassVar[str] = "birthing_person.change_follower_role"
    subscriber_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class ChangeFollowerSettings:
    """Whether a subscribe with the person's token makes a follower at once (friends and family) or a request."""

    TYPE: ClassVar[str] = "birthing_person.change_follower_settings"
    approve_followers_at_once: bool


@dataclass(frozen=True, slots=True)
class EraseBirthingPerson:
    """Delete the person's account: their record, their labours, and who follows them."""

    TYPE: ClassVar[str] = "birthing_person.erase"


BirthingPersonCommand = (
    RegisterBirthingPerson
    | PlanLabour
    | CancelPlan
    | BeginLabour
    | StartContraction
    | EndContraction
    | EditContraction
    | DeleteContraction
    | AddContraction
    | UndoContractionChange
    | CompleteLabour
    | DeleteLabour
    | RotateSubscriptionToken
    | RemoveFollower
    | UnblockSubscriber
    | AddSubscriber
    | RemoveSubscriber
    | AuthoriseSubscriber
    | EraseBirthingPerson
    | PostLabourUpdate
    | EditLabourUpdate
    | DeleteLabourUpdate
    | ApproveFollowRequest
    | RejectFollowRequest
    | ChangeFollowerRole
    | ChangeFollowerSettings
)

COMMAND_TYPES: dict[str, type[BirthingPersonCommand]] = {
    command.TYPE: command
    for command in (
        RegisterBirthingPerson,
        PlanLabour,
        CancelPlan,
        BeginLabour,
        StartContraction,
        EndContraction,
        EditContraction,
        DeleteContraction,
        AddContraction,
        UndoContractionChange,
        CompleteLabour,
        DeleteLabour,
        RotateSubscriptionToken,
        RemoveFollower,
        UnblockSubscriber,
        AddSubscriber,
        RemoveSubscriber,
        AuthoriseSubscriber,
        EraseBirthingPerson,
        PostLabourUpdate,
        EditLabourUpdate,
        DeleteLabourUpdate,
        ApproveFollowRequest,
        RejectFollowRequest,
        ChangeFollowerRole,
        ChangeFollowerSettings,
    )
}

# What a birth partner may send on the person's behalf: recording and correcting contractions, and status updates
# (posting them; editing and deleting their own).
BIRTH_PARTNER_COMMANDS: frozenset[str] = frozenset(
    command.TYPE
    for command in (
        StartContraction,
        EndContraction,
        AddContraction,
        EditContraction,
        DeleteContraction,
        UndoContractionChange,
        PostLabourUpdate,
        EditLabourUpdate,
        DeleteLabourUpdate,
    )
)
