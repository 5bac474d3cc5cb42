"""Resending a failed notification: the person it is about asks again, on the same channel, a bounded number of times.

A resend is a notification of its own, with an id derived from the original's and its number
(`resend_id(original, n)`), so that asking for resend `n` again (a retried request, a second click before the first
shows) makes the same id, and the sender sends each id once. The original's record counts its resends: resend `n` is
taken only when it is the next one, and at most `MAX_RESENDS` are taken.

A notification's record keeps no personal text, so a resend carries the words its news carries now
(`resend_words`): an announcement's current message, a quick update's moment, a completed labour's notes. News the
person deleted since is not resent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from labour_tracker.domain.labour.events import LabourCompleted, LabourUpdatePosted
from labour_tracker.domain.labour.model import Labour, LabourUpdate, Moment
from labour_tracker.domain.notification.model import FailureCode, Notification, NotificationStatus, failure_code

MAX_RESENDS = 3


class ResendRefused(StrEnum):
    """Why a resend is refused, as a stable code."""

    NOT_FAILED = "not_failed"  # only a failed notification is resent
    DESTINATION_CAP = "destination_cap"  # failed by the cap on messages to its destination: sending again feeds it
    RESEND_LIMIT_REACHED = "resend_limit_reached"  # it was resent MAX_RESENDS times already
    ALREADY_RESENT = "already_resent"  # its latest resend is on its way or arrived
    IS_A_RESEND = "is_a_resend"  # a resend is resent by asking again for the notification it resends
    NEWS_WITHDRAWN = "news_withdrawn"  # the update or labour it told of was deleted since


def resend_id(original_id: str, number: int) -> str:
    """The id of the `number`th resend of a notification (from 1): the same however often it is asked for."""
    return str(uuid5(UUID(original_id), f"resend/{number}"))


def refusal(status: NotificationStatus, reason: str | None) -> ResendRefused | None:
    """Why a notification with this status and reason may not be resent; None when it may."""
    if status is not NotificationStatus.FAILED:
        return ResendRefused.NOT_FAILED
    if failure_code(status, reason) is FailureCode.DESTINATION_CAP_REACHED:
        return ResendRefused.DESTINATION_CAP
    return None


def next_resend(
    status: NotificationStatus, reason: str | None, resends: Sequence[NotificationStatus]
) -> int | ResendRefused:
    """The number of the resend to ask for, given the notification and its resends seen so far (in order), or why
    none may be: the latest resend must have failed too, and there are at most `MAX_RESENDS`."""
    refused = refusal(status, reason)
    if refused is not None:
        return refused
    if resends and resends[-1] is not NotificationStatus.FAILED:
        return ResendRefused.ALREADY_RESENT
    if len(resends) >= MAX_RESENDS:
        return ResendRefused.RESEND_LIMIT_REACHED
    return len(resends) + 1


def resent(notification: Notification, *, number: int, birthing_person_id: str, now: datetime) -> Notification | None:
    """The original notification once resend `number` is taken, asked by the person it is about; None when it is not
    taken: not theirs, not resendable, not the next resend (taken before, or asked out of turn), or past the bound."""
    if notification.birthing_person_id != birthing_person_id or not birthing_person_id:
        return None
    if refusal(notification.status, notification.reason) is not None:
        return None
    if number != notification.resends + 1 or number > MAX_RESENDS:
        return None
    return replace(notification, resends=number, updated_at=now)


@dataclass(frozen=True, slots=True)
class LabourNow:
    """What a labour tells now, for a resend of news about it: its completion notes and its updates."""

    notes: str | None
    updates: tuple[LabourUpdate, ...]

    @classmethod
    def of(cls, labour: Labour) -> LabourNow:
        return cls(labour.notes, labour.updates)


@dataclass(frozen=True, slots=True)
class ResendWords:
    """The person's words a resend carries (as a first send's request does): a note, or a quick update's moment."""

    note: str | None = None
    moment: Moment | None = None


def resend_words(event_type: str, update_id: str | None, labour: LabourNow | None) -> ResendWords | ResendRefused:
    """The words the news of a notification carries now, in the labour it told of (None: deleted since), or
    `NEWS_WITHDRAWN` when what it told of is gone. Other news carries no words of the person's."""
    if event_type == LabourCompleted.TYPE:
        return ResendRefused.NEWS_WITHDRAWN if labour is None else ResendWords(note=labour.notes)
    if event_type != LabourUpdatePosted.TYPE:
        return ResendWords()
    if update_id is None:  # recorded before notifications named their update: sent without the words, as then
        return ResendWords()
    update = next((each for each in labour.updates if each.id == update_id), None) if labour is not None else None
    if update is None:
        return ResendRefused.NEWS_WITHDRAWN
    if update.moment is not None:  # a quick update is told in the service's words, whatever message was edited in
        return ResendWords(moment=update.moment)
    return ResendWords(note=update.message)
