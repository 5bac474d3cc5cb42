"""Keeps a birthing person's set of subscribers converged with the subscribers' own events."""

from __future__ import annotations

from typing import assert_never

from labour_tracker.domain.subscriber.events import SubscribedTo, UnsubscribedFrom


def apply_membership(members: frozenset[str], event: SubscribedTo | UnsubscribedFrom) -> frozenset[str]:
    """The person's subscribers after the event; set semantics make a redelivered event harmless."""
    match event:
        case SubscribedTo():
            return members | {event.subscriber_id}
        case UnsubscribedFrom():
            return members - {event.subscriber_id}
        case _:
            assert_never(event)
