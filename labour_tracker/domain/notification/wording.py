"""What a subscriber reads: the subject and texts for each event they are told about, with the names filled in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from labour_tracker.domain.labour.events import (
    HospitalRecommended,
    LabourBegun,
    LabourCompleted,
    PrepareForHospitalRecommended,
    UrgentAttentionAdvised,
)
from labour_tracker.domain.notification.segments import sms_segments
from labour_tracker.domain.subscriber.events import ConfirmationCodeSent


@dataclass(frozen=True, slots=True)
class Names:
    """Whose names go into a message: the subscriber it is for and the birthing person it is about."""

    subscriber: str
    first: str
    last: str


@dataclass(frozen=True, slots=True)
class Wording:
    subject: Callable[[Names], str]
    # Longest first: the first that fits one SMS segment is sent; the last if none does.
    texts: tuple[Callable[[Names], str], ...]


WORDINGS: Final[dict[str, Wording]] = {
    LabourBegun.TYPE: Wording(
        subject=lambda n: f"{n.first} {n.last} is going into labour",
        texts=(
            lambda n: f"{n.subscriber}, {n.first} {n.last} is going into labour",
            lambda n: f"{n.first} {n.last} is going into labour",
            lambda n: f"{n.first} is going into labour",
        ),
    ),
    PrepareForHospitalRecommended.TYPE: Wording(
        subject=lambda n: f"Get ready: {n.first} {n.last} may need the hospital soon",
        texts=(
            lambda n: (
                f"{n.subscriber}, get ready: {n.first} {n.last}'s contractions are regular and the hospital may be next"
            ),
            lambda n: f"Get ready: {n.first} {n.last}'s contractions are regular and the hospital may be next",
            lambda n: f"Get ready: {n.first} may need the hospital soon",
        ),
    ),
    HospitalRecommended.TYPE: Wording(
        subject=lambda n: f"Time to take {n.first} {n.last} to the hospital",
        texts=(
            lambda n: f"{n.subscriber}, it's time to take {n.first} {n.last} to the hospital",
            lambda n: f"It's time to take {n.first} {n.last} to the hospital",
            lambda n: f"It's time to take {n.first} to the hospital",
        ),
    ),
    UrgentAttentionAdvised.TYPE: Wording(
        subject=lambda n: f"Urgent: please check on {n.first} {n.last} now",
        texts=(
            lambda n: (
                f"{n.subscriber}, {n.first} {n.last}'s labour may need urgent attention. Please check on them now "
                "and call their midwife or maternity unit."
            ),
            lambda n: (
                f"{n.first} {n.last}'s labour may need urgent attention. Please check on them now and call their "
                "midwife."
            ),
            lambda n: f"{n.first}'s labour may need urgent attention. Please check on them now.",
        ),
    ),
    LabourCompleted.TYPE: Wording(
        subject=lambda n: f"{n.first} {n.last} has completed labour",
        texts=(
            lambda n: f"Hey {n.subscriber}, {n.first} {n.last} has completed labour",
            lambda n: f"{n.first} {n.last} has completed labour",
            lambda n: f"{n.first} has completed labour",
        ),
    ),
}

TRIGGERS: Final[frozenset[str]] = frozenset(WORDINGS)  # the event types subscribers are told about
CONFIRMATION_CODE: Final = ConfirmationCodeSent.TYPE  # a code sent to confirm a destination
MESSAGE_TYPES: Final[frozenset[str]] = TRIGGERS | {CONFIRMATION_CODE}  # every event type a message goes out for
CODE_SUBJECT: Final = "Your Labour Tracker confirmation code"


def code_text(code: str) -> str:
    """The message that carries a confirmation code: one SMS segment."""
    return f"Your Labour Tracker code is {code}. It expires in 10 minutes. Not you? Ignore this message."


def sms_text(event_type: str, names: Names, note: str | None = None) -> str:
    """The message for `event_type`, in one SMS segment where the names allow. A note (the person's completion
    note) is added where the whole text still fits one segment; else the sentence goes alone."""
    texts = [each(names) for each in WORDINGS[event_type].texts]
    candidates = [with_note(text, note) for text in texts] if note else []
    return next((text for text in (*candidates, *texts) if sms_segments(text) == 1), texts[-1])


def with_note(sentence: str, note: str) -> str:
    return f"{sentence}: {note}"


def subject(event_type: str, names: Names) -> str:
    return WORDINGS[event_type].subject(names)


def full_text(event_type: str, names: Names, note: str | None = None) -> str:
    """The longest wording, for email, where length does not matter, with the note in full under it."""
    sentence = WORDINGS[event_type].texts[0](names)
    return f"{sentence}\n\n{note}" if note else sentence
