"""A worker built as `labour-tracker worker` builds it, from the environment's settings, never started."""

from __future__ import annotations

from functools import cache

from labour_tracker.agents import birthing_person, subscriber
from labour_tracker.settings import Settings
from labour_tracker.worker import Worker, build_worker


@cache
def built_worker() -> Worker:
    return build_worker(Settings())


def person_decider() -> birthing_person.PersonDecider:
    """The birthing person's decider as the worker has it: subscription tokens signed with its secret."""
    return birthing_person.decider(Settings().subscription_token_secret.encode())


def subscriber_decider() -> subscriber.SubscriberDecider:
    """The subscriber's decider as the worker has it: confirmation codes made with its secret."""
    return subscriber.decider(Settings().subscription_token_secret.encode())
