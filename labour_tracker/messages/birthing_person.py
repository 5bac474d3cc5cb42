"""Commands of the birthing-person topic: each type's payload, the REST body that sends it, and its entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import AwareDatetime, Field

from labour_tracker.domain import labour, limits
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.messages.commands import CommandType, WithCommandId, catalogue
from labour_tracker.messages.envelopes import Inbound

NOTES = Field(
    None,
    max_length=limits.NOTE_BYTES.maximum,
    description=f"Free text: at most {limits.NOTE_BYTES.maximum:,} bytes of UTF-8 (`note_too_long`), with tabs and "
    f"line breaks the only control characters (`note_not_text`); a labour's notes together at most "
    f"{limits.NOTES_BYTES_PER_LABOUR.maximum:,} bytes (`notes_limit_reached`).",
)
INTENSITY_RANGE: dict[str, Any] = {"minimum": 1, "maximum": 10}  # documented here, enforced by the domain (422)


class RegisterBirthingPersonData(Inbound):
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)


LABOUR_NAME = Field(
    None,
    max_length=labour.LABOUR_NAME_LENGTH,
    description=f"A name for the labour (or the baby): at most {labour.LABOUR_NAME_LENGTH} characters of one line "
    "of text, no control characters (`name_not_text`); an empty one is no name.",
)


class PlanLabourData(Inbound):
    due_date: date = Field(
        description=f"At most {labour.DUE_DATE_AHEAD.days} days ahead and {labour.DUE_DATE_PAST.days // 7} weeks "
        "past, by the service's day in UTC (`due_date_out_of_range`)."
    )
    first_labour: bool = Field(description="A first labour uses the 3-1-1 hospital rule, later ones 5-1-1.")
    name: str | None = LABOUR_NAME


class CancelPlanData(Inbound):
    pass


class BeginLabourData(Inbound):
    first_labour: bool | None = Field(
        None,
        description="A first labour uses the 3-1-1 hospital rule, later ones 5-1-1. Default: the plan's; required "
        "without a plan (`first_labour_required`).",
    )
    start_time: AwareDatetime | None = Field(None, description="Back-dating allowed; default: now.")


class StartContractionData(Inbound):
    intensity: int | None = Field(None, json_schema_extra=INTENSITY_RANGE)
    start_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


class EndContractionData(Inbound):
    intensity: int = Field(json_schema_extra=INTENSITY_RANGE)
    end_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


class CompleteLabourData(Inbound):
    end_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


CONTRACTION_ID = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of the contraction.")


class ContractionIdData(Inbound):
    contraction_id: str = CONTRACTION_ID


class ContractionCorrection(Inbound):
    """What an edit changes: each field given replaces the contraction's."""

    start_time: AwareDatetime | None = None
    end_time: AwareDatetime | None = Field(None, description="Not for the contraction under way: end it instead.")
    intensity: int | None = Field(None, json_schema_extra=INTENSITY_RANGE)
    notes: str | None = Field(
        None,
        max_length=limits.NOTE_BYTES.maximum,
        description="Replaces the notes; an empty string removes them. Same limits as any note.",
    )


class EditContractionData(ContractionIdData, ContractionCorrection):
    pass


class AddContractionData(Inbound):
    start_time: AwareDatetime
    end_time: AwareDatetime
    intensity: int = Field(json_schema_extra=INTENSITY_RANGE)
    notes: str | None = NOTES


class UndoContractionChangeData(Inbound):
    pass


class DeleteLabourData(Inbound):
    labour_id: str = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of a completed labour.")


UPDATE_MESSAGE = Field(
    min_length=1,
    max_length=limits.NOTE_BYTES.maximum,  # past the characters, refused by the domain with its code
    description=f"One or more lines of text: at most {limits.UPDATE_MESSAGE_LENGTH.maximum:,} characters "
    f"(`update_message_too_long`) and {limits.NOTE_BYTES.maximum:,} bytes of UTF-8 (`note_too_long`), tabs and line "
    "breaks the only control characters (`note_not_text`), not blank (`update_message_required`); counted with the "
    f"labour's notes (at most {limits.NOTES_BYTES_PER_LABOUR.maximum:,} bytes together, `notes_limit_reached`).",
)
UPDATE_KIND = Field(
    labour.UpdateKind.ANNOUNCEMENT,
    description="`announcement`: sent to subscribers (one every "
    f"{limits.ANNOUNCEMENT_COOLDOWN.seconds // 60} minutes at most, `announcement_too_soon`); `status_update`: shown "
    "to subscribers, never sent; `private_note`: yours alone.",
)
UPDATE_ID = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of the update.")


class PostLabourUpdateData(Inbound):
    kind: labour.UpdateKind = UPDATE_KIND
    message: str | None = Field(
        None,
        min_length=1,
        max_length=limits.NOTE_BYTES.maximum,  # past the characters, refused by the domain with its code
        description="Required without `moment`; see `labour.edit_update` for its limits.",
    )
    moment: labour.Moment | None = Field(
        None,
        description="A quick update: an announcement in the service's words, without a message "
        "(`invalid_quick_update` otherwise).",
    )


class EditLabourUpdateData(Inbound):
    update_id: str = UPDATE_ID
    message: str = UPDATE_MESSAGE


class LabourUpdateIdData(Inbound):
    update_id: str = UPDATE_ID


class RotateSubscriptionTokenData(Inbound):
    remove_followers: bool = Field(False, description="Also stop everyone who follows now (they are told nothing).")


class EraseData(Inbound):
    pass


class SubscriberData(Inbound):
    subscriber_id: str = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH)


class AddSubscriberData(SubscriberData):
    token_version: int | None = Field(
        None, ge=0, description="The version of the share token the subscribe was authorised with (`subscribed_to`'s)."
    )


class RemoveFollowerData(SubscriberData):
    block: bool = Field(False, description="Also keep them from following again, whatever link they hold.")


ROLE = Field(
    description="`birth_partner`: records contractions for you, exports the labour and hears every alert; "
    "`friends_and_family`: reads the labour and hears that it began, announcements and that it is complete."
)


class ApproveFollowRequestData(SubscriberData):
    role: labour.Role = ROLE


class RejectFollowRequestData(SubscriberData):
    block: bool = Field(False, description="Also keep them from asking again, whatever link they hold.")


class ChangeFollowerRoleData(SubscriberData):
    role: labour.Role = ROLE


class ChangeFollowerSettingsData(Inbound):
    approve_followers_at_once: bool = Field(
        description="True: a subscribe with your token makes a follower at once, as friends and family; false (the "
        "default): it is a follow request you approve or reject."
    )


class AuthoriseSubscriberData(SubscriberData):
    token: str = Field(max_length=256, description="The subscription token the birthing person shared.")


# REST request bodies: the payload, then an optional command id.
class RotateSubscriptionTokenRequest(WithCommandId, RotateSubscriptionTokenData):
    pass


class RemoveFollowerRequest(WithCommandId):
    block: bool = Field(False, description="Also keep them from following again, whatever link they hold.")


class RoleRequest(WithCommandId):
    role: labour.Role = ROLE


class RejectFollowRequestRequest(WithCommandId):
    block: bool = Field(False, description="Also keep them from asking again, whatever link they hold.")


class ChangeFollowerSettingsRequest(WithCommandId, ChangeFollowerSettingsData):
    pass


class BeginLabourRequest(WithCommandId, BeginLabourData):
    pass


class PlanLabourRequest(WithCommandId, PlanLabourData):
    pass


class StartContractionRequest(WithCommandId, StartContractionData):
    pass


class EndContractionRequest(WithCommandId, EndContractionData):
    pass


class CompleteLabourRequest(WithCommandId, CompleteLabourData):
    pass


class EditContractionRequest(WithCommandId, ContractionCorrection):
    """The contraction's id is in the path."""


class AddContractionRequest(WithCommandId, AddContractionData):
    pass


class PostLabourUpdateRequest(WithCommandId, Inbound):
    kind: labour.UpdateKind = UPDATE_KIND
    message: str = UPDATE_MESSAGE


class QuickUpdateRequest(WithCommandId, Inbound):
    moment: labour.Moment = Field(description="Which moment: announced to subscribers in the service's words.")


class EditLabourUpdateRequest(WithCommandId, Inbound):
    """The update's id is in the path."""

    message: str = UPDATE_MESSAGE


REGISTER = CommandType(
    labour.RegisterBirthingPerson,
    RegisterBirthingPersonData,
    "Register the birthing person.",
    build=lambda person_id, data: labour.RegisterBirthingPerson(person_id, data.first_name, data.last_name),
)
PLAN_LABOUR = CommandType(
    labour.PlanLabour,
    PlanLabourData,
    "Plan the labour to come (due date, first labour or not, a name), or replace its plan, while none is under way.",
    PlanLabourRequest,
)
CANCEL_PLAN = CommandType(labour.CancelPlan, CancelPlanData, "Drop the plan of the labour to come.")
BEGIN_LABOUR = CommandType(
    labour.BeginLabour,
    BeginLabourData,
    "Begin labour: the planned one, if any, with its id and name.",
    BeginLabourRequest,
)
START_CONTRACTION = CommandType(
    labour.StartContraction, StartContractionData, "Start a contraction.", StartContractionRequest
)
END_CONTRACTION = CommandType(labour.EndContraction, EndContractionData, "End the contraction.", EndContractionRequest)
COMPLETE_LABOUR = CommandType(labour.CompleteLabour, CompleteLabourData, "Complete labour.", CompleteLabourRequest)
EDIT_CONTRACTION = CommandType(
    labour.EditContraction,
    EditContractionData,
    "Correct a contraction of the latest labour (times, intensity, notes); phase and alerts are judged again, an "
    "alert already raised is not raised again and the phase never moves back.",
    EditContractionRequest,
)
DELETE_CONTRACTION = CommandType(
    labour.DeleteContraction, ContractionIdData, "Delete a contraction of the latest labour, timed by mistake."
)
ADD_CONTRACTION = CommandType(
    labour.AddContraction,
    AddContractionData,
    "Add a missed contraction, ended, between the others: no overlap, nothing in the future, within the labour.",
    AddContractionRequest,
)
UNDO_CONTRACTION_CHANGE = CommandType(
    labour.UndoContractionChange,
    UndoContractionChangeData,
    f"Take back the latest edit, addition or deletion of a contraction, within "
    f"{labour.UNDO_WINDOW.seconds // 60} minutes of it.",
)
DELETE_LABOUR = CommandType(
    labour.DeleteLabour,
    DeleteLabourData,
    "Delete a completed labour from the person's history (and from the mirror, with its contractions, updates and "
    "the notifications about it).",
)
POST_UPDATE = CommandType(
    labour.PostLabourUpdate,
    PostLabourUpdateData,
    "Post an update of the labour under way: an announcement (sent to subscribers, at most one every "
    f"{limits.ANNOUNCEMENT_COOLDOWN.seconds // 60} minutes), a status update (shown to subscribers) or a private "
    "note; or a quick update (`moment`), announced in the service's words.",
    PostLabourUpdateRequest,
)
EDIT_UPDATE = CommandType(
    labour.EditLabourUpdate,
    EditLabourUpdateData,
    "Replace the message of an update of the latest labour (an announcement is not sent again).",
    EditLabourUpdateRequest,
)
DELETE_UPDATE = CommandType(labour.DeleteLabourUpdate, LabourUpdateIdData, "Delete an update of the latest labour.")
ROTATE_SUBSCRIPTION_TOKEN = CommandType(
    labour.RotateSubscriptionToken,
    RotateSubscriptionTokenData,
    "Rotate the subscription token: every earlier token stops working; with `remove_followers`, everyone who "
    "follows now stops too.",
    RotateSubscriptionTokenRequest,
)
REMOVE_FOLLOWER = CommandType(
    labour.RemoveFollower,
    RemoveFollowerData,
    "Stop a subscriber following the person (their side lets go too); with `block`, they cannot follow again.",
    RemoveFollowerRequest,
)
UNBLOCK_SUBSCRIBER = CommandType(
    labour.UnblockSubscriber, SubscriberData, "Let a blocked subscriber follow again (with a current link)."
)
ADD_SUBSCRIBER = CommandType(
    labour.AddSubscriber,
    AddSubscriberData,
    "Add a subscriber (applied from `subscriber.subscribed_to`); one authorised with a share token rotated since is "
    "turned away.",
    by_owner=False,
)
REMOVE_SUBSCRIBER = CommandType(
    labour.RemoveSubscriber,
    SubscriberData,
    "Remove a subscriber (applied from `subscriber.unsubscribed_from`).",
    by_owner=False,
)
AUTHORISE_SUBSCRIBER = CommandType(
    labour.AuthoriseSubscriber,
    AuthoriseSubscriberData,
    "Check a subscriber's token before they subscribe: accepted with no events, or refused.",
    by_owner=False,  # sent for the subscriber, who is counted on their own record
)
APPROVE_FOLLOW_REQUEST = CommandType(
    labour.ApproveFollowRequest,
    ApproveFollowRequestData,
    "Let a subscriber who asked follow the person, as a birth partner or as friends and family.",
    RoleRequest,
)
REJECT_FOLLOW_REQUEST = CommandType(
    labour.RejectFollowRequest,
    RejectFollowRequestData,
    "Turn a follow request down (the subscriber's side lets go); with `block`, they cannot ask again.",
    RejectFollowRequestRequest,
)
CHANGE_FOLLOWER_ROLE = CommandType(
    labour.ChangeFollowerRole, ChangeFollowerRoleData, "Change a follower's role.", RoleRequest
)
CHANGE_FOLLOWER_SETTINGS = CommandType(
    labour.ChangeFollowerSettings,
    ChangeFollowerSettingsData,
    "Choose whether a subscribe with the person's token is a follow request (the default) or makes a follower at "
    "once, as friends and family.",
    ChangeFollowerSettingsRequest,
)

ERASE = CommandType(
    labour.EraseBirthingPerson,
    EraseData,
    "Delete the birthing person's account: their record and labours go, their subscribers let go of them, and their "
    "events can no longer be read (their key is deleted with the record).",
)

COMMANDS: Mapping[str, CommandType[labour.BirthingPersonCommand]] = catalogue(
    REGISTER,
    PLAN_LABOUR,
    CANCEL_PLAN,
    BEGIN_LABOUR,
    START_CONTRACTION,
    END_CONTRACTION,
    COMPLETE_LABOUR,
    EDIT_CONTRACTION,
    DELETE_CONTRACTION,
    ADD_CONTRACTION,
    UNDO_CONTRACTION_CHANGE,
    DELETE_LABOUR,
    ROTATE_SUBSCRIPTION_TOKEN,
    REMOVE_FOLLOWER,
    UNBLOCK_SUBSCRIBER,
    ADD_SUBSCRIBER,
    REMOVE_SUBSCRIBER,
    AUTHORISE_SUBSCRIBER,
    ERASE,
    POST_UPDATE,
    EDIT_UPDATE,
    DELETE_UPDATE,
    APPROVE_FOLLOW_REQUEST,
    REJECT_FOLLOW_REQUEST,
    CHANGE_FOLLOWER_ROLE,
    CHANGE_FOLLOWER_SETTINGS,
)
