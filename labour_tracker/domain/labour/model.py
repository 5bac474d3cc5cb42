"""Labour tracking state: a birthing person, their labours and contractions, as immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class Phase(StrEnum):
    """Stage of labour, declared in the only order it may move through."""

    PLANNED = "planned"  # a plan only: no labour has begun
    EARLY = "early"
    ACTIVE = "active"
    TRANSITION = "transition"
    COMPLETE = "complete"

    @property
    def rank(self) -> int:
        """Position in the forward order: planned 0 … complete 4."""
        return list(Phase).index(self)

    def is_before(self, other: Phase) -> bool:
        return self.rank < other.rank


class Role(StrEnum):
    """What a follower the person approved may do and hear of."""

    BIRTH_PARTNER = "birth_partner"  # records contractions for the person, exports the labour, hears every alert
    FRIENDS_AND_FAMILY = "friends_and_family"  # reads the labour; hears that it began, announcements, and the end


class Alert(StrEnum):
    """An alert subscribers are told about; each is raised at most once per labour."""

    PREPARE_FOR_HOSPITAL = "prepare_for_hospital"
    HOSPITAL = "hospital"
    URGENT_ATTENTION = "urgent_attention"


@dataclass(frozen=True, slots=True)
class Contraction:
    id: str
    start_time: datetime
    end_time: datetime | None
    intensity: int | None
    notes: str | None

    @property
    def is_active(self) -> bool:
        return self.end_time is None

    @property
    def duration(self) -> timedelta | None:
        """How long it lasted; None while it is still going."""
        return None if self.end_time is None else self.end_time - self.start_time


@dataclass(frozen=True, slots=True)
class ContractionChange:
    """The latest correction of a labour's contractions (an edit, an addition or a deletion), which may be undone
    for a short while."""

    before: Contraction | None  # None: the contraction was added
    after: Contraction | None  # None: the contraction was deleted
    at: datetime  # by the service's clock


class UpdateKind(StrEnum):
    """Who an update of a labour is for."""

    ANNOUNCEMENT = "announcement"  # sent to subscribers by their channels, and shown to them
    STATUS_UPDATE = "status_update"  # shown to subscribers when they read the labour, never sent
    PRIVATE_NOTE = "private_note"  # the person's own: never shown to subscribers, never sent

    @property
    def followers_see(self) -> bool:
        return self is not UpdateKind.PRIVATE_NOTE


class Moment(StrEnum):
    """A common moment of labour, announced with one tap in the service's own words."""

    WATERS_BROKEN = "waters_broken"
    ON_THE_WAY_TO_HOSPITAL = "on_the_way_to_hospital"
    ARRIVED_AT_HOSPITAL = "arrived_at_hospital"
    BABY_BORN = "baby_born"


@dataclass(frozen=True, slots=True)
class LabourUpdate:
    """News of a labour in the person's words, or a quick update (`moment`, no message until one is edited in)."""

    id: str
    kind: UpdateKind
    message: str | None
    posted_by: str  # who posted it: the person, or one acting for them
    posted_at: datetime  # by the service's clock
    edited_at: datetime | None = None
    moment: Moment | None = None


def updates_for_followers(updates: tuple[LabourUpdate, ...]) -> tuple[LabourUpdate, ...]:
    """The updates a subscriber may read: announcements and status updates, never the person's private notes."""
    return tuple(each for each in updates if each.kind.followers_see)


@dataclass(frozen=True, slots=True)
class LabourPlan:
    """A labour to come: kept in the person's record until it begins (it has no start time, so it is no Labour)."""

    id: str  # the labour's id once it begins
    due_date: date
    first_labour: bool
    name: str | None

    @property
    def phase(self) -> Phase:
        return Phase.PLANNED


@dataclass(frozen=True, slots=True)
class Labour:
    id: str
    first_labour: bool
    start_time: datetime
    end_time: datetime | None
    phase: Phase
    notes: str | None
    contractions: tuple[Contraction, ...]  # in the order they started
    alerts: frozenset[Alert]
    last_change: ContractionChange | None = None  # the correction an undo would take back
    name: str | None = None  # the name given in its plan
    updates: tuple[LabourUpdate, ...] = ()  # in the order they were posted
    announced_at: datetime | None = None  # the latest announcement, by the service's clock: deleting it keeps this

    @property
    def is_active(self) -> bool:
        return self.end_time is None

    @property
    def active_contraction(self) -> Contraction | None:
        """The contraction under way, if any; only the latest can be."""
        if self.contractions and self.contractions[-1].is_active:
            return self.contractions[-1]
        return None

    @property
    def ended_contractions(self) -> tuple[Contraction, ...]:
        """All but the one under way, which only the latest can be."""
        return self.contractions[:-1] if self.active_contraction is not None else self.contractions

    @property
    def last_contraction_end(self) -> datetime | None:
        """When the latest ended contraction ended; the next one may not start before it."""
        ended = self.ended_contractions
        return ended[-1].end_time if ended else None


@dataclass(frozen=True, slots=True)
class PastLabour:
    """What a person's record keeps of a labour once the next one begins; the mirror and the events keep it all."""

    id: str
    first_labour: bool
    start_time: datetime
    end_time: datetime
    contraction_count: int

    @property
    def phase(self) -> Phase:
        return Phase.COMPLETE

    @classmethod
    def of(cls, labour: Labour) -> PastLabour:
        """The summary of a completed labour."""
        assert labour.end_time is not None, "only a completed labour becomes a past one"
        return cls(labour.id, labour.first_labour, labour.start_time, labour.end_time, len(labour.contractions))


@dataclass(frozen=True, slots=True)
class BirthingPerson:
    """A person's record: bounded by design (`domain.limits`), whatever their history."""

    id: str
    first_name: str
    last_name: str
    latest_labour: Labour | None  # under way, or the last completed until the next one begins
    past_labours: tuple[PastLabour, ...]  # the labours before it, the latest PAST_LABOURS_KEPT, in the order they began
    subscribers: frozenset[str]
    subscription_token_version: int
    # When, by the service's clock, the latest LABOURS_BEGUN_KEPT labours were begun: the labours-per-day cap counts.
    labours_begun: tuple[datetime, ...] = ()
    blocked: frozenset[str] = frozenset()  # subscribers who may not follow again, whatever token they hold
    # The labours deleted lately, latest last: the mirror deletes them too (DELETED_LABOURS_KEPT at most).
    deleted_labours: tuple[str, ...] = ()
    plan: LabourPlan | None = None  # the labour to come, while none is under way
    # Subscribers waiting for the person to approve or reject them, in the order they asked; never in `subscribers`.
    follow_requests: tuple[str, ...] = ()
    # The followers approved as friends and family, a subset of `subscribers`; every other follower is a birth
    # partner. Kept this way round so that records and events from before roles (every follower then got every
    # alert) leave nobody without the hospital alert.
    friends_and_family: frozenset[str] = frozenset()
    approve_followers_at_once: bool = False  # a subscribe with the token makes a follower (friends and family) at once

    @property
    def birth_partners(self) -> frozenset[str]:
        """The followers approved as birth partners."""
        return self.subscribers - self.friends_and_family

    def role_of(self, subscriber_id: str) -> Role | None:
        """A follower's role; None for anyone who does not follow (a pending request included)."""
        if subscriber_id not in self.subscribers:
            return None
        return Role.FRIENDS_AND_FAMILY if subscriber_id in self.friends_and_family else Role.BIRTH_PARTNER

    @property
    def active_labour(self) -> Labour | None:
        """The labour under way, if any; only the latest can be."""
        latest = self.latest_labour
        return latest if latest is not None and latest.is_active else None
