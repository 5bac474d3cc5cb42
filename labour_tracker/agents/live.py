"""The birthing person's live follow-up: one live message per accepted command, for the streams following them.

Published with the command's events (the broker has it before the command is answered), keyed by the person's id
on `birthing_person.live`. It carries views of what changed, never the whole labour: a stream that needs all of it
reads a snapshot (`http.live`). Private notes are marked for the person alone with the same rule as the follower's
view of the labour (`labour.updates_for_followers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from labour_tracker.domain import labour
from labour_tracker.engine.handler import Publication
from labour_tracker.http.schemas import ContractionView, LabourSummaryView, LabourUpdateView
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.live import LiveEvent, LiveMessage, LiveName

CONTRACTION_EVENTS = frozenset(
    each.TYPE
    for each in (
        labour.ContractionStarted,
        labour.ContractionEnded,
        labour.ContractionEdited,
        labour.ContractionAdded,
        labour.ContractionDeleted,
    )
)
ALERT_EVENTS = frozenset(
    each.TYPE
    for each in (labour.PrepareForHospitalRecommended, labour.HospitalRecommended, labour.UrgentAttentionAdvised)
)
UPDATE_EVENTS = frozenset(
    each.TYPE for each in (labour.LabourUpdatePosted, labour.LabourUpdateEdited, labour.LabourUpdateDeleted)
)
CUTTING_OFF = frozenset(
    each.TYPE for each in (labour.FollowerRemoved, labour.SubscriberBlocked, labour.SubscriberRemoved)
)
PHASE_CHANGED, COMPLETED, BEGUN = labour.LabourPhaseChanged.TYPE, labour.LabourCompleted.TYPE, labour.LabourBegun.TYPE
ERASED = labour.BirthingPersonErased.TYPE


def live_name(event_type: str) -> LiveName | None:
    """The server-sent event an event becomes; None for those streams do not show (subscriptions, tokens)."""
    if event_type in CONTRACTION_EVENTS:
        return "contraction"
    if event_type in ALERT_EVENTS:
        return "alert"
    if event_type in UPDATE_EVENTS:
        return "update"
    return {PHASE_CHANGED: "phase", COMPLETED: "completed", BEGUN: "labour"}.get(event_type)  # type: ignore[return-value]


def live_message(person: labour.BirthingPerson | None, events: Sequence[EventEnvelope]) -> LiveMessage:
    """The live message of a command that caused `events` (at least one) and left the person as `person`."""
    latest = person.latest_labour if person is not None else None
    shown, cut_off = [], []  # cut off once, though blocking is a removal too
    for event in events:
        if event.type in CUTTING_OFF and event.data["subscriber_id"] not in cut_off:
            cut_off.append(event.data["subscriber_id"])
        name = live_name(event.type)
        if name is None or latest is None or event.data.get("labour_id") != latest.id:
            continue
        data, followers = _shown(name, event, latest)
        shown.append(LiveEvent(version=event.version, type=event.type, name=name, followers=followers, data=data))
    return LiveMessage(
        birthing_person_id=events[0].aggregate_id,
        first_version=events[0].version,
        version=events[-1].version,
        time=events[-1].time,
        events=tuple(shown),
        cut_off=tuple(cut_off),
        erased=any(each.type == ERASED for each in events),
    )


def _shown(name: LiveName, event: EventEnvelope, found: labour.Labour) -> tuple[dict[str, Any], bool]:
    """What a stream shows of the event (views of the labour after the command), and whether followers see it."""
    summary = LabourSummaryView.of(found, event.time).model_dump(mode="json")
    if name == "contraction":
        contraction_id = event.data["contraction_id"]
        contraction = next((each for each in found.contractions if each.id == contraction_id), None)
        view = ContractionView.of(contraction).model_dump(mode="json") if contraction is not None else None
        return {"contraction_id": contraction_id, "contraction": view, "summary": summary}, True
    if name == "update":
        update_id = event.data["update_id"]
        update = next((each for each in found.updates if each.id == update_id), None)
        if update is None:  # deleted: only its id, and to followers only if they could see it
            kind = event.data.get("kind")
            return {"update_id": update_id, "update": None}, kind is None or labour.UpdateKind(kind).followers_see
        followers = bool(labour.updates_for_followers((update,)))
        return {"update_id": update_id, "update": LabourUpdateView.of(update).model_dump(mode="json")}, followers
    if name == "phase":
        return {"phase": event.data["to_phase"], "from_phase": event.data["from_phase"], "summary": summary}, True
    if name == "alert":
        return {"alert": event.type, "reason": event.data.get("reason"), "summary": summary}, True
    return {"labour": summary}, True


def live_publications(live_topic: faust.TopicT, person: Any, events: Sequence[EventEnvelope]) -> list[Publication]:
    """The birthing person's live follow-up of a command's events, keyed by the person's id."""
    message = live_message(person, events)
    return [(live_topic, message.birthing_person_id, message.model_dump_json().encode())]
