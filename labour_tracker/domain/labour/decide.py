"""Decide what a command makes happen to a birthing person, or refuse it with a DomainError."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import assert_never
from uuid import UUID, uuid5

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.labour.commands import (
    AddSubscriber,
    AuthoriseSubscriber,
    BeginLabour,
    BirthingPersonCommand,
    CompleteLabour,
    EndContraction,
    EraseBirthingPerson,
    RegisterBirthingPerson,
    RemoveSubscriber,
    RotateSubscriptionToken,
    StartContraction,
)
from labour_tracker.domain.labour.events import (
    BirthingPersonErased,
    BirthingPersonEvent,
    BirthingPersonRegistered,
    ContractionEnded,
    ContractionStarted,
    HospitalRecommended,
    LabourBegun,
    LabourCompleted,
    LabourPhaseChanged,
    SubscriberAdded,
    SubscriberRemoved,
    SubscriberTurnedAway,
    SubscriptionTokenRotated,
    UrgentAttentionAdvised,
)
from labour_tracker.domain.labour.evolve import evolve
from labour_tracker.domain.labour.model import Alert, BirthingPerson, Labour
from labour_tracker.domain.labour.rules import hospital_recommended, next_phase, urgent_attention_reason
from labour_tracker.domain.limits import (
    CONTRACTIONS_PER_LABOUR,
    DAY,
    LABOURS_PER_DAY,
    NOTES_BYTES_PER_LABOUR,
    SUBSCRIBERS_PER_PERSON,
    Rate,
    check_note,
    note_bytes,
)
from labour_tracker.domain.subscription_token import token_is_valid

MAX_CLOCK_SKEW = timedelta(seconds=60)  # how far ahead of our clock a client's clock may run
MIN_INTENSITY = 1
MAX_INTENSITY = 10

# Never change: ids already stored were derived from it.
ID_NAMESPACE = UUID("6bde03fc-403a-4281-9fb7-9895133b00c4")

# Read by map(), not a loop of Python code: a labour may have hundreds of contractions.
_id = attrgetter("id")
_notes = attrgetter("notes")


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
) -> list[BirthingPersonEvent]:
    """The events `command` causes, given `state`, the server's `now` (timezone-aware), its token secret and the cap
    on labours begun in a day (0: none)."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    match command:
        case RegisterBirthingPerson():
            return _register(state, command)
        case BeginLabour():
            return _begin_labour(_registered(state), command, now, command_id, labours_per_day)
        case StartContraction():
            return _start_contraction(_registered(state), command, now, command_id)
        case EndContraction():
            return _end_contraction(_registered(state), command, now)
        case CompleteLabour():
            return _complete_labour(_registered(state), command, now)
        case RotateSubscriptionToken():
            return _rotate_subscription_token(_registered(state))
        case AddSubscriber():
            return _add_subscriber(_registered(state), command)
        case RemoveSubscriber():
            return _remove_subscriber(_registered(state), command)
        case AuthoriseSubscriber():
            return _authorise_subscriber(_registered(state), command, subscription_secret)
        case EraseBirthingPerson():
            return _erase(state)
        case _:
            assert_never(command)


def _register(state: BirthingPerson | None, command: RegisterBirthingPerson) -> list[BirthingPersonEvent]:
    if state is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "birthing_person_already_registered",
            f"Birthing person {state.id} is already registered.",
        )
    return [BirthingPersonRegistered(command.birthing_person_id, command.first_name, command.last_name)]


def _begin_labour(
    person: BirthingPerson, command: BeginLabour, now: datetime, command_id: str, labours_per_day: int
) -> list[BirthingPersonEvent]:
    start_time = _client_time(command.start_time, now)
    if person.active_labour is not None:
        raise DomainError(
            ErrorKind.INVALID, "labour_already_active", "A labour is already under way; complete it first."
        )
    # Each labour begun (and completed) texts every subscriber: by the service's clock, as start times can be earlier.
    Rate("labours_per_day_reached", labours_per_day, DAY, "labours begun in a day").check(person.labours_begun, now)
    labour_id = _unused_id(new_id(person.id, command_id), _labour_ids(person))
    return [LabourBegun(person.id, labour_id, command.first_labour, start_time, begun_at=now)]


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


def _rotate_subscription_token(person: BirthingPerson) -> list[BirthingPersonEvent]:
    return [SubscriptionTokenRotated(person.id, person.subscription_token_version + 1)]


def _add_subscriber(person: BirthingPerson, command: AddSubscriber) -> list[BirthingPersonEvent]:
    if command.subscriber_id in person.subscribers:
        return []  # the subscribed_to event was redelivered
    if command.token_version is not None and command.token_version != person.subscription_token_version:
        # The token was rotated between the check and now: checked again here, where the subscription is made.
        return [SubscriberTurnedAway(person.id, command.subscriber_id)]
    SUBSCRIBERS_PER_PERSON.check(len(person.subscribers) + 1)  # reached only by subscribes authorised at once
    return [SubscriberAdded(person.id, command.subscriber_id)]


def _remove_subscriber(person: BirthingPerson, command: RemoveSubscriber) -> list[BirthingPersonEvent]:
    if command.subscriber_id not in person.subscribers:
        return []  # the unsubscribed_from event was redelivered
    return [SubscriberRemoved(person.id, command.subscriber_id)]


def _erase(state: BirthingPerson | None) -> list[BirthingPersonEvent]:
    if state is None:
        return []  # nothing to erase: erased already, or never registered
    return [BirthingPersonErased(state.id, tuple(sorted(state.subscribers)))]


def _authorise_subscriber(
    person: BirthingPerson, command: AuthoriseSubscriber, secret: bytes
) -> list[BirthingPersonEvent]:
    if command.subscriber_id == person.id:
        raise DomainError(ErrorKind.INVALID, "cannot_subscribe_to_self", "You cannot subscribe to yourself.")
    if not token_is_valid(secret, person.id, person.subscription_token_version, command.token):
        raise DomainError(
            ErrorKind.FORBIDDEN,
            "invalid_subscription_token",
            "The subscription token is not valid: ask the birthing person for their current link.",
        )
    if command.subscriber_id not in person.subscribers:  # after the token: a stranger learns nothing of the count
        SUBSCRIBERS_PER_PERSON.check(len(person.subscribers) + 1)
    return []  # authorised: nothing about the person changes


def _phase_change(person_id: str, labour: Labour) -> list[BirthingPersonEvent]:
    phase = next_phase(labour)
    if phase == labour.phase:
        return []
    return [LabourPhaseChanged(person_id, labour.id, labour.phase, phase)]


def _hospital_recommendation(person_id: str, labour: Labour) -> list[BirthingPersonEvent]:
    if Alert.HOSPITAL in labour.alerts or not hospital_recommended(labour):
        return []
    return [HospitalRecommended(person_id, labour.id)]


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
    """The UTF-8 bytes of every note a labour holds, its own and its contractions'."""
    return note_bytes(labour.notes) + sum(map(note_bytes, map(_notes, labour.contractions)))


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
