"""A record on the operators' table pages: every kind renders, with names, contact details and notes masked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from labour_tracker.domain.labour import (
    BirthingPerson,
    Contraction,
    Labour,
    LabourUpdate,
    PastLabour,
    Phase,
    UpdateKind,
)
from labour_tracker.domain.notification import Notification, NotificationStatus
from labour_tracker.domain.subscriber import ContactMethod, Subscriber
from labour_tracker.messages.envelopes import ErrorBody, Outcome
from labour_tracker.tables.masked import MASK, operator_view
from labour_tracker.tables.records import AggregateRecord

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)
SECRETS = ("Beatrice", "Okafor", "+447700900123", "bea@example.org", "waters broke", "back pain", "so scared")

PERSON = BirthingPerson(
    "bea-1", "Beatrice", "Okafor",
    Labour("l-2", False, T0, None, Phase.EARLY, "waters broke",
           (Contraction("c-1", T0, T0, 5, "back pain"),), frozenset(),
           updates=(LabourUpdate("u-1", UpdateKind.PRIVATE_NOTE, "so scared", "bea-1", T0),)),
    (PastLabour("l-1", True, T0, T0, 12),), frozenset({"sam-1"}), 3,
)  # fmt: skip
SUBSCRIBER = Subscriber(
    "sam-1", "Beatrice", "Okafor", "+447700900123", "bea@example.org",
    frozenset({ContactMethod.SMS, ContactMethod.EMAIL}), frozenset({"bea-1"}),
)  # fmt: skip
NOTIFICATION = Notification(
    "n-1", "e-1", "labour.begun", "bea-1", "l-2", "sam-1", ContactMethod.SMS, "+447700900123",
    NotificationStatus.SENT, "SM123", None, 1, T0, T0,
)  # fmt: skip
OUTCOME = Outcome(command_id="c-9", command_type="labour.begin", aggregate_id="bea-1", status="accepted",
                  version=4, time=T0)  # fmt: skip


@pytest.mark.parametrize(("state", "ids"), [
    (PERSON, ("bea-1", "l-2", "c-1", "u-1", "l-1", "sam-1")),
    (SUBSCRIBER, ("sam-1", "bea-1")),
    (NOTIFICATION, ("n-1", "e-1", "sam-1", "SM123")),
])  # fmt: skip
def test_a_record_renders_with_its_ids_and_without_personal_data(state: Any, ids: tuple[str, ...]) -> None:
    page = json.dumps(operator_view(AggregateRecord(state, version=4, processed=(OUTCOME,), last_command=(1, 7))))

    assert not [secret for secret in SECRETS if secret in page]
    assert all(f'"{each}"' in page for each in ids)
    shown = json.loads(page)
    assert (shown["version"], shown["last_command"], shown["processed"][0]["command_id"]) == (4, [1, 7], "c-9")
    assert MASK in page


def test_what_a_refused_command_carried_is_masked_in_its_outcome() -> None:
    refused = Outcome(
        command_id="c-10", command_type="labour.contraction.start", aggregate_id="bea-1", status="rejected",
        version=None, time=T0, error=ErrorBody(kind="unprocessable", code="note_too_long", description="too long",
        details=[{"loc": ["notes"], "msg": "too long", "input": "back pain"}]),
    )  # fmt: skip
    shown = operator_view(AggregateRecord(PERSON, version=4, processed=(refused,)))

    assert shown["processed"][0]["error"]["details"] == [{"loc": ["notes"], "msg": "too long", "input": MASK}]
    assert shown["processed"][0]["error"]["code"] == "note_too_long"


def test_a_record_of_an_aggregate_that_does_not_exist_renders_too() -> None:
    assert operator_view(AggregateRecord()) == {
        "state": None, "version": 0, "processed": [], "last_command": None
    }  # fmt: skip
