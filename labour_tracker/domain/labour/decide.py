"""Decide what a command makes happen to a birthing person, or refuse it with a DomainError."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import assert_never
from uuid import UUID, uuid5

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.labour.commands import (
    BIRTH_PARTNER_COMMANDS,
    AddContraction,
    AddSubscriber,
    ApproveFollowRequest,
    AuthoriseSubscriber,
    BeginLabour,
    BirthingPersonCommand,
    CancelPlan,
    ChangeFollowerRole,
    ChangeFollowerSettings,
    CompleteLabour,
    DeleteContraction,
    DeleteLabour,
    DeleteLabourUpdate,
    EditContraction,
    EditLabourUpdate,
    EndContraction,
    EraseBirthingPerson,
    PlanLabour,
    PostLabourUpdate,
    RegisterBirthingPerson,
    RejectFollowRequest,
    RemoveFollower,
    RemoveSubscriber,
    RotateSubscriptionToken,
    StartContraction,
    UnblockSubscriber,
    UndoContractionChange,
)
from labour_tracker.domain.labour.events import (
    BirthingPersonErased,
    BirthingPersonEvent,
    BirthingPersonRegistered,
    ContractionAdded,
    ContractionDeleted,
    ContractionEdited,
    ContractionEnded,
    ContractionStarted,
    FollowerRemoved,
    FollowerRoleChanged,
    FollowerSettingsChanged,
    FollowRequested,
    FollowRequestRejected,
    HospitalRecommended,
    LabourBegun,
    LabourCompleted,
    LabourDeleted,
    LabourPhaseChanged,
    LabourPlanCancelled,
    LabourPlanned,
    LabourUpdateDeleted,
    LabourUpdateEdited,
    LabourUpdatePosted,
    PrepareForHospitalRecommended,
    SubscriberAdded,
    SubscriberBlocked,
    SubscriberRemoved,
    SubscriberTurnedAway,
    SubscriberUnblocked,
    SubscriptionTokenRotated,
    UrgentAttentionAdvised,
)
from labour_tracker.domain.labour.evolve import evolve
from labour_tracker.domain.labour.model import (
    Alert,
    BirthingPerson,
    Contraction,
    Labour,
    LabourPlan,
    LabourUpdate,
    Role,
    UpdateKind,
)
from labour_tracker.domain.labour.rules import (
    hospital_recommended,
    next_phase,
    prepare_for_hospital_recommended,
    urgent_attention_reason,
)
from labour_tracker.domain.limits import (
    ANNOUNCEMENT_COOLDOWN,
    BLOCKED_PER_PERSON,
    CONTRACTIONS_PER_LABOUR,
    DAY,
    FOLLOW_REQUESTS_PER_PERSON,
    LABOURS_PER_DAY,
    NOTES_BYTES_PER_LABOUR,
    SUBSCRIBERS_PER_PERSON,
    UPDATE_MESSAGE_LENGTH,
    UPDATES_PER_LABOUR,
    Rate,
    check_note,
    note_bytes,
)
from labour_tracker.domain.subscription_token import token_is_valid

MAX_CLOCK_SKEW = timedelta(seconds=60)  # how far ahead of our clock a client's clock may run
UNDO_WINDOW = timedelta(minutes=10)  # how long the latest correction of a contraction may be taken back
# A due date is at most some ten months ahead (a pregnancy lasts about 40 weeks), and a plan outlives it by six
# weeks at most: past 42 weeks a labour is induced.
DUE_DATE_AHEAD = timedelta(days=300)
DUE_DATE_PAST = timedelta(weeks=6)
LABOUR_NAME_LENGTH = 100  # characters
MIN_INTENSITY = 1
MAX_INTENSITY = 10

# Never change: ids already stored were derived from it.
ID_NAMESPACE = UUID("6bde03fc-403a-4281-9fb7-9895133b00c4")

# A name is one line of text: no control characters at all (C0, DEL and C1).
_NAME_CONTROLS = frozenset(map(chr, (*range(0x20), *range(0x7F, 0xA0))))
NOT_BIRTH_PARTNER = DomainError(
    ErrorKind.FORBIDDEN,
    "not_birth_partner",
    "Only the birthing person's birth partners may do this for them: record or correct contractions, and post "
    "status updates.",
)
NOT_THEIRS_TO_CHANGE = DomainError(
    ErrorKind.FORBIDDEN,
    "not_allowed_for_birth_partner",
    "A birth partner posts status updates for the person, and changes only the updates they posted.",
)
FOLLOW_REQUEST_NOT_FOUND = DomainError(
    ErrorKind.NOT_FOUND, "follow_request_not_found", "This subscriber has not asked to follow you."
)
SUBSCRIBER_NOT_FOUND = DomainError(ErrorKind.NOT_FOUND, "subscriber_not_found", "This subscriber does not follow you.")
NAME_NOT_TEXT = DomainError(
    ErrorKind.UNPROCESSABLE, "name_not_text", "A labour's name is one line of text, without control characters."
)

# Read by map(), not a loop of Python code: a labour may have hundreds of contractions.
_id = attrgetter("id")
_notes = attrgetter("notes")
_message = attrgetter("message")

ANNOUNCEMENTS = Rate(
    "announcement_too_soon", 1, ANNOUNCEMENT_COOLDOWN, f"announcement in {ANNOUNCEMENT_COOLDOWN.seconds // 60} minutes"
)
UPDATE_NOT_FOUND = DomainError(ErrorKind.NOT_FOUND, "labour_update_not_found", "The labour has no update with this id.")
MESSAGE_REQUIRED = DomainError(
    ErrorKind.UNPROCESSABLE, "update_message_required", "An update needs a message of at least one character."
)
INVALID_QUICK_UPDATE = DomainError(
    ErrorKind.UNPROCESSABLE, "invalid_quick_update", "A quick update is an announcement, in the service's words only."
)


def new_id(aggregate_id: str, command_id: str) -> str:
    """The id of the entity a command creates, the same on every retry or replay of that command."""
    return str(uuid5(ID_NAMESPACE, f"{aggregate_id}/{command_id}"))


def decide(
    state: BirthingPerson | None,
    command: BirthingPersonCommand,
    *,
    now: datetime,
    command_id: str,
    subscription_secret: bytes,
    labours_per_day: int = LABOURS_PER_DAY,
    actor: str | None = None,
) -> list[BirthingPersonEvent]:
    """The events `command` causes, given `state`, the server's `now` (timezone-aware), its token secret and the cap
    on labours begun in a day (0: none). `actor`: who sent it, when not the person (None) or the service for them."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if actor is not None:
        _check_actor(_registered(state), command, actor)
    match command:
        case RegisterBirthingPerson():
            return _register(state, command)
        case PlanLabour():
            return _plan_labour(_registered(state), command, now, command_id)
        case CancelPlan():
            return _cancel_plan(_registered(state))
        case BeginLabour():
            return _begin_labour(_registered(state), command, now, command_id, labours_per_day)
        case StartContraction():
            return _start_contraction(_registered(state), command, now, command_id)
        case EndContraction():
            return _end_contraction(_registered(state), command, now)
        case CompleteLabour():
            return _complete_labour(_registered(state), command, now)
        case DeleteLabour():
            return _delete_labour(_registered(state), command)
        case EditContraction():
            return _edit_contraction(_registered(state), command, now)
        case DeleteContraction():
            return _delete_contraction(_registered(state), command, now)
        case AddContraction():
            return _add_contraction(_registered(state), command, now, command_id)
        case UndoContractionChange():
            return _undo_contraction_change(_registered(state), now)
        case RotateSubscriptionToken():
            return _rotate_subscription_token(_registered(state), command)
        case RemoveFollower():
            return _remove_follower(_registered(state), command)
        case UnblockSubscriber():
            return _unblock(_registered(state), command)
        case AddSubscriber():
            return _add_subscriber(_registered(state), command)
        case RemoveSubscriber():
            return _remove_subscriber(_registered(state), command)
        case AuthoriseSubscriber():
            return _authorise_subscriber(_registered(state), command, subscription_secret)
        case EraseBirthingPerson():
            return _erase(state)
        case PostLabourUpdate():
            return _post_update(_registered(state), command, now, command_id, actor)
        case EditLabourUpdate():
            return _edit_update(_registered(state), command, now)
        case DeleteLabourUpdate():
            return _delete_update(_registered(state), command)
        case ApproveFollowRequest():
            return _approve(_registered(state), command)
        case RejectFollowRequest():
            return _reject(_registered(state), command)
        case ChangeFollowerRole():
            return _change_role(_registered(state), command)
        case ChangeFollowerSettings():
            return _change_settings(_registered(state), command)
        case _:
            assert_never(command)


def _check_actor(person: BirthingPerson, command: BirthingPersonCommand, actor: str) -> None:
    """Someone other than the person may send only what a birth partner may, and only as one of theirs."""
    if actor == person.id:
        return
    if actor not in person.birth_partners or command.TYPE not in BIRTH_PARTNER_COMMANDS:
        raise NOT_BIRTH_PARTNER
    match command:
        case PostLabourUpdate() if command.kind is not UpdateKind.STATUS_UPDATE or command.moment is not None:
            raise NOT_THEIRS_TO_CHANGE  # announcements text everyone and private notes are the person's own
        case EditLabourUpdate() | DeleteLabourUpdate():
            if _update(_latest_labour(person), command.update_id).posted_by != actor:
                raise NOT_THEIRS_TO_CHANGE


def _register(state: BirthingPerson | None, command: RegisterBirthingPerson) -> list[BirthingPersonEvent]:
    if state is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "birthing_person_already_registered",
            f"Birthing person {state.id} is already registered.",
        )
    return [BirthingPersonRegistered(command.birthing_person_id, command.first_name, command.last_name)]


def _plan_labour(
    person: BirthingPerson, command: PlanLabour, now: datetime, command_id: str
) -> list[BirthingPersonEvent]:
    _check_due_date(command.due_date, now)
    _check_labour_name(command.name)
    _no_active_labour(person)
    plan = person.plan
    # A plan replaced is the same labour to come: it keeps its id.
    labour_id = plan.id if plan is not None else _unused_id(new_id(person.id, command_id), _labour_ids(person))
    planned = LabourPlanned(person.id, labour_id, command.due_date, command.first_labour, command.name or None)
    if plan == LabourPlan(labour_id, planned.due_date, planned.first_labour, planned.name):
        return []  # planned as it is already
    return [planned]


def _cancel_plan(person: BirthingPerson) -> list[BirthingPersonEvent]:
    if person.plan is None:
        raise DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "No labour is planned.")
    return [LabourPlanCancelled(person.id, person.plan.id)]


def _check_due_date(due_date: date, now: datetime) -> None:
    today = now.date()
    if not today - DUE_DATE_PAST <= due_date <= today + DUE_DATE_AHEAD:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "due_date_out_of_range",
            f"The due date must be at most {DUE_DATE_AHEAD.days} days ahead and at most "
            f"{DUE_DATE_PAST.days // 7} weeks past.",
        )


def _check_labour_name(name: str | None) -> None:
    if name is None:
        return
    if len(name) > LABOUR_NAME_LENGTH:
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "name_too_long", f"A labour's name is at most {LABOUR_NAME_LENGTH} characters."
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise NAME_NOT_TEXT from None
    if any(character in _NAME_CONTROLS for character in name):
        raise NAME_NOT_TEXT


def _no_active_labour(person: BirthingPerson) -> None:
    if person.active_labour is not None:
        raise DomainError(
            ErrorKind.INVALID, "labour_already_active", "A labour is already under way; complete it first."
        )


def _begin_labour(
    person: BirthingPerson, command: BeginLabour, now: datetime, command_id: str, labours_per_day: int
) -> list[BirthingPersonEvent]:
    start_time = _client_time(command.start_time, now)
    _no_active_labour(person)
    plan = person.plan
    first_labour = command.first_labour
    if first_labour is None and plan is not None:
        first_labour = plan.first_labour
    if first_labour is None:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "first_labour_required",
            "Say whether this is a first labour (`first_labour`): no labour is planned to take it from.",
        )
    # Each labour begun (and completed) texts every subscriber: by the service's clock, as start times can be earlier.
    Rate("labours_per_day_reached", labours_per_day, DAY, "labours begun in a day").check(person.labours_begun, now)
    labour_id = _unused_id(plan.id if plan else new_id(person.id, command_id), _labour_ids(person))
    name = plan.name if plan else None
    return [LabourBegun(person.id, labour_id, first_labour, start_time, begun_at=now, name=name)]


def _start_contraction(
    person: BirthingPerson, command: StartContraction, now: datetime, command_id: str
) -> list[BirthingPersonEvent]:
    start_time = _client_time(command.start_time, now)
    _check_intensity(command.intensity)
    notes_size = check_note(command.notes)
    labour = _active_labour(person)
    if labour.active_contraction is not None:
        raise DomainError(
            ErrorKind.INVALID,
            "contraction_already_active",
            "A contraction is already under way; end it first.",
        )
    CONTRACTIONS_PER_LABOUR.check(len(labour.contractions) + 1)
    if notes_size:
        NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) + notes_size)
    if start_time < labour.start_time:
        raise DomainError(
            ErrorKind.INVALID,
            "contraction_starts_before_labour",
            "A contraction cannot start before the labour began.",
        )
    previous_end = labour.last_contraction_end
    if previous_end is not None and start_time < previous_end:
        raise DomainError(
            ErrorKind.INVALID,
            "contraction_starts_before_previous_ended",
            "A contraction cannot start before the previous one ended.",
        )
    contraction_id = _unused_id(new_id(person.id, command_id), map(_id, labour.contractions))
    started = ContractionStarted(person.id, labour.id, contraction_id, start_time, command.intensity, command.notes)
    return [started, *_urgent_attention(person.id, _labour_after(person, started))]


def _end_contraction(person: BirthingPerson, command: EndContraction, now: datetime) -> list[BirthingPersonEvent]:
    end_time = _client_time(command.end_time, now)
    _check_intensity(command.intensity)
    notes_size = check_note(command.notes)
    labour = _active_labour(person)
    contraction = labour.active_contraction
    if contraction is None:
        raise DomainError(ErrorKind.INVALID, "contraction_not_active", "No contraction is under way.")
    if notes_size:  # replaces the notes given at its start
        NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) - note_bytes(contraction.notes) + notes_size)
    if end_time <= contraction.start_time:
        raise DomainError(
            ErrorKind.INVALID, "contraction_ends_before_start", "A contraction must end after it started."
        )
    ended = ContractionEnded(
        person.id,
        labour.id,
        contraction.id,
        end_time,
        command.intensity,
        command.notes if command.notes is not None else contraction.notes,
    )
    after = _labour_after(person, ended)
    return [
        ended,
        *_phase_change(person.id, after),
        *_hospital_recommendation(person.id, after),
        *_urgent_attention(person.id, after),
    ]


def _edit_contraction(person: BirthingPerson, command: EditContraction, now: datetime) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    before = _contraction(labour, command.contraction_id)
    if command.end_time is not None and before.is_active:
        raise DomainError(
            ErrorKind.INVALID, "contraction_not_ended", "End the contraction under way before changing its end."
        )
    notes = before.notes if command.notes is None else command.notes or None  # "" clears them
    after = Contraction(
        before.id,
        _client_time(command.start_time, now) if command.start_time is not None else before.start_time,
        _client_time(command.end_time, now) if command.end_time is not None else before.end_time,
        command.intensity if command.intensity is not None else before.intensity,
        notes,
    )
    if after == before:
        return []
    edited = ContractionEdited(
        person.id, labour.id, after.id, after.start_time, after.end_time, after.intensity, after.notes, now
    )
    return _corrected(person, labour, before, after, edited)


def _delete_contraction(person: BirthingPerson, command: DeleteContraction, now: datetime) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    before = _contraction(labour, command.contraction_id)
    return _corrected(person, labour, before, None, ContractionDeleted(person.id, labour.id, before.id, now))


def _add_contraction(
    person: BirthingPerson, command: AddContraction, now: datetime, command_id: str
) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    CONTRACTIONS_PER_LABOUR.check(len(labour.contractions) + 1)
    contraction_id = _unused_id(new_id(person.id, command_id), map(_id, labour.contractions))
    start, end = _client_time(command.start_time, now), _client_time(command.end_time, now)
    after = Contraction(contraction_id, start, end, command.intensity, command.notes or None)
    added = ContractionAdded(person.id, labour.id, after.id, start, end, after.intensity, after.notes, now)
    return _corrected(person, labour, None, after, added)


def _undo_contraction_change(person: BirthingPerson, now: datetime) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    change = labour.last_change
    if change is None or now - change.at > UNDO_WINDOW:
        raise DomainError(
            ErrorKind.INVALID,
            "nothing_to_undo",
            f"There is no change to a contraction in the last {UNDO_WINDOW.seconds // 60} minutes to undo.",
        )
    restored = change.before  # what the change found, back as it was
    if restored is None:  # it was added: taken away again
        assert change.after is not None
        gone = ContractionDeleted(person.id, labour.id, change.after.id, now, undo=True)
        return _corrected(person, labour, _contraction_or_none(labour, change.after.id), None, gone)
    back = ContractionEdited(
        person.id, labour.id, restored.id, restored.start_time, restored.end_time, restored.intensity, restored.notes,
        now, undo=True,
    )  # fmt: skip
    return _corrected(person, labour, _contraction_or_none(labour, restored.id), restored, back)


def _corrected(
    person: BirthingPerson,
    labour: Labour,
    before: Contraction | None,
    after: Contraction | None,
    event: ContractionEdited | ContractionAdded | ContractionDeleted,
) -> list[BirthingPersonEvent]:
    """The correction's event once the labour it leaves keeps every rule, then what the rules say of it now: a phase
    only moves on, and an alert raised before is never raised again."""
    if after is not None:
        _check_correction(labour, before, after)
    corrected = evolve(person, event)
    assert corrected is not None and corrected.latest_labour is not None
    _check_sequence(corrected.latest_labour)
    if not corrected.latest_labour.is_active:
        return [event]  # a completed labour's phase and alerts stay as they were
    return [
        event,
        *_phase_change(person.id, corrected.latest_labour),
        *_hospital_recommendation(person.id, corrected.latest_labour),
        *_urgent_attention(person.id, corrected.latest_labour),
    ]


def _check_correction(labour: Labour, before: Contraction | None, after: Contraction) -> None:
    """The corrected contraction on its own: its intensity, its note, and its times within the labour."""
    _check_intensity(after.intensity)
    notes_size = check_note(after.notes)
    if notes_size:
        NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) - note_bytes(before.notes if before else None) + notes_size)
    if after.start_time < labour.start_time:
        raise DomainError(
            ErrorKind.INVALID, "contraction_starts_before_labour", "A contraction cannot start before the labour began."
        )
    if after.end_time is not None and after.end_time <= after.start_time:
        raise DomainError(
            ErrorKind.INVALID, "contraction_ends_before_start", "A contraction must end after it started."
        )
    if labour.end_time is not None and (after.end_time or after.start_time) > labour.end_time:
        raise DomainError(
            ErrorKind.INVALID, "contraction_after_labour", "A contraction cannot end after the labour was completed."
        )


def _check_sequence(labour: Labour) -> None:
    """Contractions one after another: each ends before the next starts, and only the latest may be under way."""
    for earlier, later in pairwise(labour.contractions):
        if earlier.end_time is None or earlier.end_time > later.start_time:
            raise DomainError(
                ErrorKind.INVALID,
                "contractions_overlap",
                "Contractions cannot overlap: each must end before the next one starts.",
            )


def _complete_labour(person: BirthingPerson, command: CompleteLabour, now: datetime) -> list[BirthingPersonEvent]:
    end_time = _client_time(command.end_time, now)
    notes_size = check_note(command.notes)
    labour = _active_labour(person)
    if notes_size:  # replaces the labour's notes
        NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) - note_bytes(labour.notes) + notes_size)
    if labour.active_contraction is not None:
        raise DomainError(
            ErrorKind.INVALID,
            "contraction_in_progress",
            "A contraction is still under way; end it before completing the labour.",
        )
    if end_time < labour.start_time:
        raise DomainError(ErrorKind.INVALID, "labour_ends_before_start", "A labour cannot end before it began.")
    last_contraction_end = labour.last_contraction_end
    if last_contraction_end is not None and end_time < last_contraction_end:
        raise DomainError(
            ErrorKind.INVALID,
            "labour_ends_before_last_contraction",
            "A labour cannot end before its last contraction ended.",
        )
    notes = command.notes if command.notes is not None else labour.notes
    return [LabourCompleted(person.id, labour.id, end_time, notes)]


def _delete_labour(person: BirthingPerson, command: DeleteLabour) -> list[BirthingPersonEvent]:
    latest = person.latest_labour
    if latest is not None and latest.id == command.labour_id and latest.is_active:
        raise DomainError(
            ErrorKind.INVALID, "labour_in_progress", "A labour under way cannot be deleted; complete it first."
        )
    if command.labour_id in person.deleted_labours:
        return []  # deleted already
    # A labour older than the record's summaries is known to the mirror only: whoever sends this checked it there.
    return [LabourDeleted(person.id, command.labour_id)]


def _post_update(
    person: BirthingPerson, command: PostLabourUpdate, now: datetime, command_id: str, actor: str | None
) -> list[BirthingPersonEvent]:
    if command.moment is not None:  # the service's words: no personal text to check
        if command.message is not None or command.kind is not UpdateKind.ANNOUNCEMENT:
            raise INVALID_QUICK_UPDATE
        size = 0
    else:
        size = _check_update_message(command.message)
    labour = _active_labour(person)
    UPDATES_PER_LABOUR.check(len(labour.updates) + 1)
    if size:
        NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) + size)
    if command.kind is UpdateKind.ANNOUNCEMENT:
        ANNOUNCEMENTS.check(() if labour.announced_at is None else (labour.announced_at,), now)
    update_id = _unused_id(new_id(person.id, command_id), map(_id, labour.updates))
    posted_by = actor or person.id  # the person, or the birth partner posting for them
    return [
        LabourUpdatePosted(
            person.id, labour.id, update_id, command.kind, command.message, command.moment, posted_by, now
        )
    ]


def _edit_update(person: BirthingPerson, command: EditLabourUpdate, now: datetime) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    before = _update(labour, command.update_id)
    size = _check_update_message(command.message)
    if command.message == before.message:
        return []
    NOTES_BYTES_PER_LABOUR.check(_notes_bytes(labour) - note_bytes(before.message) + size)
    return [LabourUpdateEdited(person.id, labour.id, before.id, command.message, now)]


def _delete_update(person: BirthingPerson, command: DeleteLabourUpdate) -> list[BirthingPersonEvent]:
    labour = _latest_labour(person)
    deleted = _update(labour, command.update_id)
    return [LabourUpdateDeleted(person.id, labour.id, deleted.id, deleted.kind)]


def _check_update_message(message: str | None) -> int:
    """Refuse a message that is blank, too long in characters, or no note (`check_note`); returns its size."""
    if message is None or not message.strip():
        raise MESSAGE_REQUIRED
    UPDATE_MESSAGE_LENGTH.check(len(message))
    return check_note(message)


def _update(labour: Labour, update_id: str) -> LabourUpdate:
    found = next((each for each in labour.updates if each.id == update_id), None)
    if found is None:
        raise UPDATE_NOT_FOUND
    return found


def _rotate_subscription_token(person: BirthingPerson, command: RotateSubscriptionToken) -> list[BirthingPersonEvent]:
    rotated: list[BirthingPersonEvent] = [SubscriptionTokenRotated(person.id, person.subscription_token_version + 1)]
    if command.remove_followers:  # those still asking too: their request was made with the old link
        rotated += [FollowerRemoved(person.id, each) for each in sorted({*person.subscribers, *person.follow_requests})]
    return rotated


def _remove_follower(person: BirthingPerson, command: RemoveFollower) -> list[BirthingPersonEvent]:
    following = command.subscriber_id in person.subscribers or command.subscriber_id in person.follow_requests
    if not following and not command.block:
        raise SUBSCRIBER_NOT_FOUND
    removed: list[BirthingPersonEvent] = [FollowerRemoved(person.id, command.subscriber_id)] if following else []
    if command.block and command.subscriber_id not in person.blocked:
        BLOCKED_PER_PERSON.check(len(person.blocked) + 1)
        removed.append(SubscriberBlocked(person.id, command.subscriber_id))
    return removed


def _unblock(person: BirthingPerson, command: UnblockSubscriber) -> list[BirthingPersonEvent]:
    if command.subscriber_id not in person.blocked:
        return []  # not blocked: as asked
    return [SubscriberUnblocked(person.id, command.subscriber_id)]


def _add_subscriber(person: BirthingPerson, command: AddSubscriber) -> list[BirthingPersonEvent]:
    if command.subscriber_id in person.subscribers or command.subscriber_id in person.follow_requests:
        return []  # the subscribed_to event was redelivered
    if command.subscriber_id in person.blocked:  # blocked since the check: their side is undone
        return [SubscriberTurnedAway(person.id, command.subscriber_id)]
    if command.token_version is not None and command.token_version != person.subscription_token_version:
        # The token was rotated between the check and now: checked again here, where the subscription is made.
        return [SubscriberTurnedAway(person.id, command.subscriber_id)]
    _check_room(person)  # reached only by subscribes authorised at once
    if person.approve_followers_at_once:
        return [SubscriberAdded(person.id, command.subscriber_id, Role.FRIENDS_AND_FAMILY)]
    return [FollowRequested(person.id, command.subscriber_id)]


def _check_room(person: BirthingPerson) -> None:
    """Room for one more follow request (or follower, approved at once): followers and requests share one cap."""
    SUBSCRIBERS_PER_PERSON.check(len(person.subscribers) + len(person.follow_requests) + 1)
    if not person.approve_followers_at_once:
        FOLLOW_REQUESTS_PER_PERSON.check(len(person.follow_requests) + 1)


def _approve(person: BirthingPerson, command: ApproveFollowRequest) -> list[BirthingPersonEvent]:
    if command.subscriber_id not in person.follow_requests:
        if person.role_of(command.subscriber_id) is command.role:
            return []  # approved already, as asked
        raise FOLLOW_REQUEST_NOT_FOUND
    return [SubscriberAdded(person.id, command.subscriber_id, command.role)]


def _reject(person: BirthingPerson, command: RejectFollowRequest) -> list[BirthingPersonEvent]:
    if command.subscriber_id not in person.follow_requests:
        raise FOLLOW_REQUEST_NOT_FOUND
    rejected: list[BirthingPersonEvent] = [FollowRequestRejected(person.id, command.subscriber_id)]
    if command.block and command.subscriber_id not in person.blocked:
        BLOCKED_PER_PERSON.check(len(person.blocked) + 1)
        rejected.append(SubscriberBlocked(person.id, command.subscriber_id))
    return rejected


def _change_role(person: BirthingPerson, command: ChangeFollowerRole) -> list[BirthingPersonEvent]:
    role = person.role_of(command.subscriber_id)
    if role is None:
        raise SUBSCRIBER_NOT_FOUND
    if role is command.role:
        return []
    return [FollowerRoleChanged(person.id, command.subscriber_id, command.role)]


def _change_settings(person: BirthingPerson, command: ChangeFollowerSettings) -> list[BirthingPersonEvent]:
    if person.approve_followers_at_once == command.approve_followers_at_once:
        return []
    return [FollowerSettingsChanged(person.id, command.approve_followers_at_once)]


def _remove_subscriber(person: BirthingPerson, command: RemoveSubscriber) -> list[BirthingPersonEvent]:
    if command.subscriber_id not in person.subscribers and command.subscriber_id not in person.follow_requests:
        return []  # the unsubscribed_from event was redelivered
    return [SubscriberRemoved(person.id, command.subscriber_id)]


def _erase(state: BirthingPerson | None) -> list[BirthingPersonEvent]:
    if state is None:
        return []  # nothing to erase: erased already, or never registered
    return [BirthingPersonErased(state.id, tuple(sorted({*state.subscribers, *state.follow_requests})))]


def _authorise_subscriber(
    person: BirthingPerson, command: AuthoriseSubscriber, secret: bytes
) -> list[BirthingPersonEvent]:
    if command.subscriber_id == person.id:
        raise DomainError(ErrorKind.INVALID, "cannot_subscribe_to_self", "You cannot subscribe to yourself.")
    if command.subscriber_id in person.blocked:
        raise DomainError(
            ErrorKind.FORBIDDEN, "subscriber_blocked", "The birthing person has stopped you following them."
        )
    if not token_is_valid(secret, person.id, person.subscription_token_version, command.token):
        raise DomainError(
            ErrorKind.FORBIDDEN,
            "invalid_subscription_token",
            "The subscription token is not valid: ask the birthing person for their current link.",
        )
    if command.subscriber_id not in person.subscribers and command.subscriber_id not in person.follow_requests:
        _check_room(person)  # after the token: a stranger learns nothing of the count
    return []  # authorised: nothing about the person changes


def _phase_change(person_id: str, labour: Labour) -> list[BirthingPersonEvent]:
    phase = next_phase(labour)
    if phase == labour.phase:
        return []
    return [LabourPhaseChanged(person_id, labour.id, labour.phase, phase)]


def _hospital_recommendation(person_id: str, labour: Labour) -> list[BirthingPersonEvent]:
    """Go to hospital once the rule holds; before it, get ready once half of it has (not both at once)."""
    if Alert.HOSPITAL in labour.alerts:
        return []
    if hospital_recommended(labour):
        return [HospitalRecommended(person_id, labour.id)]
    if Alert.PREPARE_FOR_HOSPITAL in labour.alerts or not prepare_for_hospital_recommended(labour):
        return []
    return [PrepareForHospitalRecommended(person_id, labour.id)]


def _urgent_attention(person_id: str, labour: Labour) -> list[BirthingPersonEvent]:
    if Alert.URGENT_ATTENTION in labour.alerts:
        return []
    reason = urgent_attention_reason(labour)
    return [] if reason is None else [UrgentAttentionAdvised(person_id, labour.id, reason)]


def _registered(state: BirthingPerson | None) -> BirthingPerson:
    if state is None:
        raise DomainError(ErrorKind.NOT_FOUND, "birthing_person_not_found", "This birthing person is not registered.")
    return state


def _labour_ids(person: BirthingPerson) -> Iterator[str]:
    if person.latest_labour is not None:
        yield person.latest_labour.id
    yield from map(_id, person.past_labours)


def _notes_bytes(labour: Labour) -> int:
    """The UTF-8 bytes of every note a labour holds: its own, its contractions' and its updates' messages."""
    return (
        note_bytes(labour.notes)
        + sum(map(note_bytes, map(_notes, labour.contractions)))
        + sum(map(note_bytes, map(_message, labour.updates)))
    )


def _latest_labour(person: BirthingPerson) -> Labour:
    """The labour under way or, once completed, until the next begins: the one whose contractions may be corrected."""
    if person.latest_labour is None:
        raise DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "There is no labour to correct.")
    return person.latest_labour


def _contraction(labour: Labour, contraction_id: str) -> Contraction:
    found = _contraction_or_none(labour, contraction_id)
    if found is None:
        raise DomainError(ErrorKind.NOT_FOUND, "contraction_not_found", "The labour has no contraction with this id.")
    return found


def _contraction_or_none(labour: Labour, contraction_id: str) -> Contraction | None:
    return next((each for each in labour.contractions if each.id == contraction_id), None)


def _active_labour(person: BirthingPerson) -> Labour:
    labour = person.active_labour
    if labour is None:
        raise DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "No labour is under way.")
    return labour


def _labour_after(person: BirthingPerson, event: ContractionStarted | ContractionEnded) -> Labour:
    """The active labour as it will be once `event` is applied; the rules judge that."""
    after = evolve(person, event)
    labour = after.active_labour if after is not None else None
    assert labour is not None  # contraction events never end a labour
    return labour


def _client_time(given: datetime | None, now: datetime) -> datetime:
    """A time the client gave, in UTC, or `now` when none was given."""
    if given is None:
        return now
    if given.utcoffset() is None:
        raise DomainError(ErrorKind.INVALID, "time_without_timezone", "Times must include a timezone (UTC preferred).")
    if given > now + MAX_CLOCK_SKEW:
        raise DomainError(ErrorKind.INVALID, "time_in_future", "Times cannot be in the future.")
    try:
        return given.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 lies before the first representable UTC time
        raise DomainError(ErrorKind.INVALID, "time_out_of_range", "That time is out of range.") from None


def _check_intensity(intensity: int | None) -> None:
    if intensity is not None and not MIN_INTENSITY <= intensity <= MAX_INTENSITY:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "intensity_out_of_range",
            f"Intensity must be between {MIN_INTENSITY} and {MAX_INTENSITY}.",
        )


def _unused_id(candidate: str, existing: Iterable[str]) -> str:
    """Guards the id derived from a command id against that command id being reused for another command."""
    if candidate in existing:
        raise DomainError(ErrorKind.CONFLICT, "command_already_applied", "This command id has already been used.")
    return candidate
