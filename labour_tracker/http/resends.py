"""Resend a failed notification: the person it is about asks, and it goes again on the same channel.

The view decides from the mirror, where a failed notification's status and reason, once there, never change: whose
it is, whether it failed (and not by the destination cap), and which resends it has had. It then hands the resend,
keyed by the notification id, to the sender agent that owns the record, which takes it only if it is the next
resend its record allows, and answers 202 with the resend's id at once: the resend's status shows in the list a
moment later. A retried request, or a second click before the first resend shows, asks for the same resend again,
and the sender sends each id once.

A notification's record keeps no personal text: the view finds the words its news carries now (an announcement's
message as it reads now, a quick update's moment, a completed labour's notes) in the person's record, or in the
mirror for a labour the record keeps only a summary of, and the resend carries them. News deleted since is not
resent.
"""

from __future__ import annotations

import logging
from uuid import UUID

import asyncpg
from aiohttp import web

from labour_tracker.domain import labour
from labour_tracker.domain import notification as n
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import read_person, respond
from labour_tracker.http.errors import ApiError
from labour_tracker.http.history import mirror
from labour_tracker.http.ports import SENDER, NotSent
from labour_tracker.http.schemas import ResendResponse
from labour_tracker.messages.notifications import NOTED, NotificationResend
from labour_tracker.mirror.reads import MirrorReads

log = logging.getLogger(__name__)

NOT_FOUND = ApiError(404, "notification_not_found", "No notification about you has this id.")
REFUSALS = {
    n.ResendRefused.NOT_FAILED: "Only a failed notification is resent.",
    n.ResendRefused.DESTINATION_CAP: "It failed because its destination had its messages for the hour; it is not "
    "resent.",
    n.ResendRefused.RESEND_LIMIT_REACHED: f"It was resent {n.MAX_RESENDS} times already.",
    n.ResendRefused.ALREADY_RESENT: "Its latest resend is on its way or was sent.",
    n.ResendRefused.IS_A_RESEND: "This is a resend: ask to resend the notification it resends.",
    n.ResendRefused.NEWS_WITHDRAWN: "What this told of was deleted; it is not resent.",
}


def notification_id_in_path(request: web.Request) -> str:
    given = request.match_info["notification_id"]
    try:
        return str(UUID(given)) if len(given) == 36 else ""
    except ValueError:
        return ""


async def resend_notification(request: web.Request) -> web.Response:
    original_id = notification_id_in_path(request)
    person = await read_person(request, current_user(request).id)
    if not original_id:
        raise NOT_FOUND
    resend_ids = [n.resend_id(original_id, number) for number in range(1, n.MAX_RESENDS + 1)]
    async with mirror(request) as (reads, connection):
        states = await reads.notification_states(connection, [original_id, *resend_ids])
        original = states.get(original_id)
        if original is None or original.birthing_person_id != person.id:
            raise NOT_FOUND
        if original_id != n.notification_id(original.event_id, original.subscriber_id, ContactMethod(original.channel)):
            raise ApiError(409, n.ResendRefused.IS_A_RESEND.value, REFUSALS[n.ResendRefused.IS_A_RESEND])
        seen = []
        for each in resend_ids:  # in order, up to the first not yet in the mirror
            if each not in states:
                break
            seen.append(n.NotificationStatus(states[each].status))
        number = n.next_resend(n.NotificationStatus(original.status), original.reason, seen)
        if isinstance(number, n.ResendRefused):
            raise ApiError(409, number.value, REFUSALS[number])
        told = await labour_now(reads, connection, person, original.labour_id) if original.event_type in NOTED else None
    words = n.resend_words(original.event_type, original.update_id, told)
    if isinstance(words, n.ResendRefused):
        raise ApiError(409, words.value, REFUSALS[words])
    resend = NotificationResend(
        notification_id=original_id,
        resend=number,
        birthing_person_id=person.id,
        birthing_person_first_name=person.first_name,
        birthing_person_last_name=person.last_name,
        note=words.note,
        moment=words.moment,
    )
    try:
        await request.app[SENDER].resend(original_id, resend.model_dump_json().encode())
    except NotSent:
        raise ApiError(503, "kafka_unavailable", "The resend could not be taken; try again.") from None
    new_id = n.resend_id(original_id, number)
    log.info("resend %d of notification %s asked as %s", number, original_id, new_id)
    return respond(ResendResponse(notification_id=new_id, resend_of=original_id, resend=number), status=202)


async def labour_now(
    reads: MirrorReads, connection: asyncpg.Connection, person: labour.BirthingPerson, labour_id: str
) -> n.LabourNow | None:
    """The labour a notification told of, as it is now: from the person's record, or from the mirror for a labour the
    record keeps only a summary of (a new one began since, so nothing changes it); None once it is deleted."""
    latest = person.latest_labour
    if latest is not None and latest.id == labour_id:
        return n.LabourNow.of(latest)
    if labour_id in person.deleted_labours:  # the mirror may not have deleted it yet
        return None
    heading = await reads.labour(connection, labour_id)
    if heading is None or heading.birthing_person_id != person.id:
        return None
    return n.LabourNow(heading.notes, tuple(await reads.updates(connection, labour_id)))
