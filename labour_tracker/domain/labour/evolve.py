"""Apply what happened to a birthing person: every event yields a new state, nothing is mutated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import assert_never

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
from labour_tracker.domain.labour.model import (
    Alert,
    BirthingPerson,
    Contraction,
    ContractionChange,
    Labour,
    LabourPlan,
    LabourUpdate,
    PastLabour,
    Phase,
    Role,
    UpdateKind,
)
from labour_tracker.domain.limits import DELETED_LABOURS_KEPT, LABOURS_BEGUN_KEPT, PAST_LABOURS_KEPT


def evolve(state: BirthingPerson | None, event: BirthingPersonEvent) -> BirthingPerson | None:
    """The state after `event`: a decided fact, applied without re-checking the rules; None once erased."""
    if isinstance(event, BirthingPersonRegistered):
        if state is not None:
            raise ValueError(f"birthing person {state.id} is already registered")
        return BirthingPerson(
            id=event.birthing_person_id,
            first_name=event.first_name,
            last_name=event.last_name,
            latest_labour=None,
            past_labours=(),
            subscribers=frozenset(),
            subscription_token_version=0,
        )
    if state is None:
        raise ValueError(f"{event.TYPE} cannot apply to an unregistered birthing person")
    match event:
        case LabourPlanned():
            plan = LabourPlan(event.labour_id, event.due_date, event.first_labour, event.name)
            return replace(state, plan=plan)
        case LabourPlanCancelled():
            return replace(state, plan=None)
        case LabourBegun():
            labour = Labour(
                id=event.labour_id,
                first_labour=event.first_labour,
                start_time=event.start_time,
                end_time=None,
                phase=Phase.EARLY,
                notes=None,
                contractions=(),
                alerts=frozenset(),
                name=event.name,
            )
            begun = (*state.labours_begun, event.begun_at or event.start_time)[-LABOURS_BEGUN_KEPT:]
            return replace(
                state, latest_labour=labour, past_labours=_past_labours(state), labours_begun=begun, plan=None
            )
        case ContractionStarted():
            contraction = Contraction(
                id=event.contraction_id,
                start_time=event.start_time,
                end_time=None,
                intensity=event.intensity,
                notes=event.notes,
            )
            return _change_labour(
                state,
                event.labour_id,
                lambda labour: replace(labour, contractions=(*labour.contractions, contraction)),
            )
        case ContractionEnded():
            return _change_labour(state, event.labour_id, lambda labour: _end_contraction(labour, event))
        case ContractionEdited() | ContractionAdded():
            corrected = Contraction(
                event.contraction_id, event.start_time, event.end_time, event.intensity, event.notes
            )
            return _change_labour(state, event.labour_id, lambda labour: _corrected(labour, event, corrected))
        case ContractionDeleted():
            return _change_labour(state, event.labour_id, lambda labour: _corrected(labour, event, None))
        case LabourPhaseChanged():
            return _change_labour(state, event.labour_id, lambda labour: replace(labour, phase=event.to_phase))
        case PrepareForHospitalRecommended():
            return _change_labour(
                state, event.labour_id, lambda labour: _with_alert(labour, Alert.PREPARE_FOR_HOSPITAL)
            )
        case HospitalRecommended():
            return _change_labour(state, event.labour_id, lambda labour: _with_alert(labour, Alert.HOSPITAL))
        case UrgentAttentionAdvised():
            return _change_labour(state, event.labour_id, lambda labour: _with_alert(labour, Alert.URGENT_ATTENTION))
        case LabourCompleted():
            return _change_labour(
                state,
                event.labour_id,
                lambda labour: replace(labour, end_time=event.end_time, notes=event.notes, phase=Phase.COMPLETE),
            )
        case LabourDeleted():
            latest = state.latest_labour
            return replace(
                state,
                latest_labour=None if latest is not None and latest.id == event.labour_id else latest,
                past_labours=tuple(each for each in state.past_labours if each.id != event.labour_id),
                deleted_labours=(*state.deleted_labours, event.labour_id)[-DELETED_LABOURS_KEPT:],
            )
        case SubscriptionTokenRotated():
            return replace(state, subscription_token_version=event.subscription_token_version)
        case SubscriberAdded():
            # No role: added before roles existed, when every follower got every alert; a birth partner keeps them.
            friends = event.role is Role.FRIENDS_AND_FAMILY
            return replace(
                _let_go(state, event.subscriber_id),
                subscribers=state.subscribers | {event.subscriber_id},
                friends_and_family=_with(state.friends_and_family, event.subscriber_id, friends),
            )
        case FollowRequested():
            return replace(
                state, follow_requests=(*_let_go(state, event.subscriber_id).follow_requests, event.subscriber_id)
            )
        case FollowerRoleChanged():
            friends = event.role is Role.FRIENDS_AND_FAMILY
            if event.subscriber_id not in state.subscribers:
                return state
            return replace(state, friends_and_family=_with(state.friends_and_family, event.subscriber_id, friends))
        case FollowerSettingsChanged():
            return replace(state, approve_followers_at_once=event.approve_followers_at_once)
        case SubscriberTurnedAway():
            return state  # the subscriber's side is undone by the follow-up the event calls for
        case SubscriberRemoved() | FollowerRemoved() | FollowRequestRejected():
            return _let_go(state, event.subscriber_id)
        case SubscriberBlocked():
            return replace(_let_go(state, event.subscriber_id), blocked=state.blocked | {event.subscriber_id})
        case SubscriberUnblocked():
            return replace(state, blocked=state.blocked - {event.subscriber_id})
        case LabourUpdatePosted():
            posted = LabourUpdate(
                event.update_id, event.kind, event.message, event.posted_by, event.posted_at, moment=event.moment
            )
            return _change_labour(state, event.labour_id, lambda labour: _posted(labour, posted))
        case LabourUpdateEdited():
            return _change_labour(
                state,
                event.labour_id,
                lambda labour: _with_updates(
                    labour,
                    event.update_id,
                    lambda update: replace(update, message=event.message, edited_at=event.edited_at),
                ),
            )
        case LabourUpdateDeleted():
            return _change_labour(
                state, event.labour_id, lambda labour: _with_updates(labour, event.update_id, lambda update: None)
            )
        case BirthingPersonErased():
            return None
        case _:
            assert_never(event)


def replay(events: Iterable[BirthingPersonEvent]) -> BirthingPerson | None:
    """Rebuild a birthing person from their whole history; None when there is none."""
    state: BirthingPerson | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _let_go(person: BirthingPerson, subscriber_id: str) -> BirthingPerson:
    """The person with the subscriber neither following nor asking to, in no role."""
    if subscriber_id not in person.subscribers and subscriber_id not in person.follow_requests:
        return person
    return replace(
        person,
        subscribers=person.subscribers - {subscriber_id},
        follow_requests=tuple(each for each in person.follow_requests if each != subscriber_id),
        friends_and_family=person.friends_and_family - {subscriber_id},
    )


def _with(ids: frozenset[str], subscriber_id: str, included: bool) -> frozenset[str]:
    return ids | {subscriber_id} if included else ids - {subscriber_id}


def _past_labours(person: BirthingPerson) -> tuple[PastLabour, ...]:
    """The summaries once the latest labour, completed, gives way to a new one."""
    if person.latest_labour is None:
        return person.past_labours
    return (*person.past_labours, PastLabour.of(person.latest_labour))[-PAST_LABOURS_KEPT:]


def _change_labour(person: BirthingPerson, labour_id: str, change: Callable[[Labour], Labour]) -> BirthingPerson:
    """Only the latest labour changes: events about an earlier one change nothing."""
    if person.latest_labour is None or person.latest_labour.id != labour_id:
        return person
    return replace(person, latest_labour=change(person.latest_labour))


def _end_contraction(labour: Labour, event: ContractionEnded) -> Labour:
    contractions = labour.contractions
    # Only the latest can be under way: found there without walking a long labour.
    if contractions and contractions[-1].id == event.contraction_id:
        index: int | None = len(contractions) - 1
    else:
        index = next((i for i, each in enumerate(contractions) if each.id == event.contraction_id), None)
    if index is None:
        return labour
    ended = replace(contractions[index], end_time=event.end_time, intensity=event.intensity, notes=event.notes)
    return replace(labour, contractions=(*contractions[:index], ended, *contractions[index + 1 :]))


def _corrected(
    labour: Labour, event: ContractionEdited | ContractionAdded | ContractionDeleted, after: Contraction | None
) -> Labour:
    """The labour with one contraction replaced, added or deleted (`after` None), kept in start order; the change
    is remembered for an undo, unless it is one."""
    before = next((each for each in labour.contractions if each.id == event.contraction_id), None)
    others = [each for each in labour.contractions if each.id != event.contraction_id]
    contractions = tuple(sorted([*others, after] if after else others, key=_start))
    change = None if event.undo else ContractionChange(before, after, event.changed_at)
    return replace(labour, contractions=contractions, last_change=change)


def _start(contraction: Contraction) -> datetime:
    return contraction.start_time


def _posted(labour: Labour, update: LabourUpdate) -> Labour:
    announced = update.posted_at if update.kind is UpdateKind.ANNOUNCEMENT else labour.announced_at
    return replace(labour, updates=(*labour.updates, update), announced_at=announced)


def _with_updates(labour: Labour, update_id: str, change: Callable[[LabourUpdate], LabourUpdate | None]) -> Labour:
    """The labour with one update changed, or taken out (`change` gives None); the others as they were."""
    updates = (change(each) if each.id == update_id else each for each in labour.updates)
    return replace(labour, updates=tuple(each for each in updates if each is not None))


def _with_alert(labour: Labour, alert: Alert) -> Labour:
    return replace(labour, alerts=labour.alerts | {alert})
