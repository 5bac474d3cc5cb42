"""What a subscriber reads: the subject and texts for each event they are told about, with the names filled in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from labour_tracker.domain.labour.events import (
    HospitalRecommended,
    LabourBegun,
    LabourCompleted,
    LabourUpdatePosted,
    PrepareForHospitalRecommended,
    UrgentAttentionAdvised,
)
from labour_tracker.domain.labour.model import Moment, UpdateKind
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
    # The note is the news itself (an announcement's message): cut to fit one SMS segment rather than left out.
    note_is_news: bool = False


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
    # An announcement: the person's first name and their message (`note`); a quick one has its moment's wording.
    LabourUpdatePosted.TYPE: Wording(
        subject=lambda n: f"News from {n.first} {n.last}",
        texts=(
            lambda n: f"{n.subscriber}, news from {n.first}",
            lambda n: f"News from {n.first}",
        ),
        note_is_news=True,
    ),
}


def _moment(after_name: str, mark: str = "") -> Wording:
    """A quick update's words: the person's name, then what happened (`after_name`), and `mark` in the texts."""
    return Wording(
        subject=lambda n: f"{n.first} {n.last}{after_name}",
        texts=(
            lambda n: f"{n.subscriber}, {n.first} {n.last}{after_name}{mark}",
            lambda n: f"{n.first} {n.last}{after_name}{mark}",
            lambda n: f"{n.first}{after_name}{mark}",
        ),
    )


# The quick updates' own words: no personal text, the same for every subscriber but their names.
MOMENT_WORDINGS: Final[dict[Moment, Wording]] = {
    Moment.WATERS_BROKEN: _moment("'s waters have broken"),
    Moment.ON_THE_WAY_TO_HOSPITAL: _moment(" is on the way to the hospital"),
    Moment.ARRIVED_AT_HOSPITAL: _moment(" has arrived at the hospital"),
    Moment.BABY_BORN: _moment("'s baby is born", "!"),
}

ANNOUNCEMENT: Final = LabourUpdatePosted.TYPE  # news only when its kind is an announcement
TRIGGERS: Final[frozenset[str]] = frozenset(WORDINGS)  # the event types subscribers are told about
CONFIRMATION_CODE: Final = ConfirmationCodeSent.TYPE  # a code sent to confirm a destination
MESSAGE_TYPES: Final[frozenset[str]] = TRIGGERS | {CONFIRMATION_CODE}  # every event type a message goes out for
CODE_SUBJECT: Final = "Your Labour Tracker confirmation code"


def code_text(code: str) -> str:
    """The message that carries a confirmation code: one SMS segment."""
    return f"Your Labour Tracker code is {code}. It expires in 10 minutes. Not you? Ignore this message."


def is_news(event_type: str, kind: str | None = None) -> bool:
    """Whether subscribers are told of an event of `event_type`: every trigger but an update, which only when its
    `kind` is an announcement."""
    return event_type in TRIGGERS and (event_type != ANNOUNCEMENT or kind == UpdateKind.ANNOUNCEMENT)


def wording(event_type: str, moment: str | None = None) -> Wording:
    """The words for `event_type`, or for a quick update's `moment`."""
    return MOMENT_WORDINGS[Moment(moment)] if moment else WORDINGS[event_type]


def sms_text(event_type: str, names: Names, note: str | None = None, moment: str | None = None) -> str:
    """The message for `event_type`, in one SMS segment where the names allow. A note (the person's completion
    note) is added where the whole text still fits one segment; else the sentence goes alone. A note that is the
    news (an announcement's message) is cut to fit instead."""
    chosen = wording(event_type, moment)
    texts = [each(names) for each in chosen.texts]
    candidates = [with_note(text, note) for text in texts] if note else []
    fitting = next((text for text in (*candidates, *texts) if sms_segments(text) == 1), texts[-1])
    if note and chosen.note_is_news and fitting in texts:
        return shortened(with_note(texts[-1], note))
    return fitting


def shortened(text: str) -> str:
    """`text` cut at a word, where it can be, to fit one SMS segment with `...` after it (GSM characters, so the
    ending never makes the text Unicode)."""
    if sms_segments(text) == 1:
        return text
    low, high = 0, len(text)  # the longest start of `text` that fits with the ending
    while low < high:
        middle = (low + high + 1) // 2
        if sms_segments(text[:middle] + CUT) == 1:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    at_word = kept.rsplit(" ", 1)[0] if " " in kept[len(kept) // 2 :] else kept
    return at_word.rstrip() + CUT


CUT: Final = "..."


def with_note(sentence: str, note: str) -> str:
    return f"{sentence}: {note}"


def subject(event_type: str, names: Names, moment: str | None = None) -> str:
    return wording(event_type, moment).subject(names)


def full_text(event_type: str, names: Names, note: str | None = None, moment: str | None = None) -> str:
    """The longest wording, for email, where length does not matter, with the note in full under it."""
    sentence = wording(event_type, moment).texts[0](names)
    return f"{sentence}\n\n{note}" if note else sentence
