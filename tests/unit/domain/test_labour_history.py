"""Stories of a birthing person's history: replaying their events rebuilds exactly who they are now."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import timedelta

import pytest

from labour_tracker.domain.labour import (
    COMMAND_TYPES,
    EVENT_TYPES,
    BirthingPersonRegistered,
    CompleteLabour,
    ContractionEnded,
    LabourBegun,
    RotateSubscriptionToken,
    StartContraction,
    evolve,
    replay,
)
from tests.unit.domain.labour_story import ALICE, T0, at, in_labour


def test_replaying_every_event_rebuilds_the_birthing_person_exactly() -> None:
    story = in_labour(first_labour=True)
    story.follows("sam-sub")
    story.regular_contractions(
        22, first_start=at(minutes=1), every=timedelta(minutes=3), lasting=timedelta(seconds=95), intensity=8
    )
    story.do(RotateSubscriptionToken())
    story.do(CompleteLabour(notes="twins"), now=at(minutes=200))

    assert replay(story.events) == story.state


def test_an_end_event_changes_the_contraction_it_names_even_when_it_is_not_the_latest() -> None:
    story = in_labour()
    story.contraction(at(minutes=1), timedelta(seconds=60), intensity=4)
    story.contraction(at(minutes=5), timedelta(seconds=60), intensity=6)
    first, second = story.labour.contractions

    amended = evolve(story.person, ContractionEnded(ALICE, story.labour.id, first.id, at(minutes=2), 9, "late note"))
    unknown = evolve(story.person, ContractionEnded(ALICE, story.labour.id, "no-such-id", at(minutes=2), 9, None))

    assert amended.latest_labour is not None
    assert amended.latest_labour.contractions == (replace(first, intensity=9, notes="late note"), second)
    assert unknown == story.person


def test_replaying_nothing_gives_nobody() -> None:
    assert replay([]) is None


def test_evolving_returns_a_new_state_and_leaves_the_old_one_as_it_was() -> None:
    story = in_labour()
    before = story.person
    snapshot = replace(before)

    story.do(StartContraction(), now=at(minutes=1))

    assert before == snapshot
    assert story.person != before
    with pytest.raises(FrozenInstanceError):
        before.first_name = "Changed"  # type: ignore[misc]


def test_an_event_for_someone_never_registered_cannot_be_applied() -> None:
    with pytest.raises(ValueError):
        evolve(None, LabourBegun(ALICE, "labour-1", True, T0))


def test_registering_someone_already_registered_cannot_be_applied() -> None:
    with pytest.raises(ValueError):
        evolve(in_labour().person, BirthingPersonRegistered(ALICE, "Alice", "Moyo"))


def test_every_event_and_command_is_known_by_its_type() -> None:
    assert set(EVENT_TYPES) == {
        "birthing_person.registered",
        "labour.planned",
        "labour.plan_cancelled",
        "labour.begun",
        "contraction.started",
        "contraction.ended",
        "contraction.edited",
        "contraction.added",
        "contraction.deleted",
        "labour.phase_changed",
        "labour.prepare_for_hospital_recommended",
        "labour.hospital_recommended",
        "labour.urgent_attention_advised",
        "labour.completed",
        "labour.deleted",
        "birthing_person.subscription_token_rotated",
        "birthing_person.subscriber_added",
        "birthing_person.subscriber_turned_away",
        "birthing_person.subscriber_removed",
        "birthing_person.follower_removed",
        "birthing_person.subscriber_blocked",
        "birthing_person.subscriber_unblocked",
        "birthing_person.erased",
        "labour.update_posted",
        "labour.update_edited",
        "labour.update_deleted",
        "birthing_person.follow_requested",
        "birthing_person.follow_request_rejected",
        "birthing_person.follower_role_changed",
        "birthing_person.follower_settings_changed",
    }
    assert set(COMMAND_TYPES) == {
        "birthing_person.register",
        "labour.plan",
        "labour.cancel_plan",
        "labour.begin",
        "contraction.start",
        "contraction.end",
        "contraction.edit",
        "contraction.delete",
        "contraction.add",
        "contraction.undo",
        "labour.complete",
        "labour.delete",
        "birthing_person.rotate_subscription_token",
        "birthing_person.add_subscriber",
        "birthing_person.remove_subscriber",
        "birthing_person.remove_follower",
        "birthing_person.unblock_subscriber",
        "birthing_person.authorise_subscriber",
        "birthing_person.erase",
        "labour.post_update",
        "labour.edit_update",
        "labour.delete_update",
        "birthing_person.approve_follow_request",
        "birthing_person.reject_follow_request",
        "birthing_person.change_follower_role",
        "birthing_person.change_follower_settings",
    }
    assert all(name == cls.TYPE for name, cls in {**EVENT_TYPES, **COMMAND_TYPES}.items())
