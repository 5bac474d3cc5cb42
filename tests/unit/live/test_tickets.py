"""Stream tickets: signed over who, whom, until when and a nonce; refused when forged, altered, for another person
or purpose, or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labour_tracker.live.tickets import TicketRefused, TicketSigner

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SIGNER = TicketSigner(b"the-servers-secret-of-32-bytes-or-more")


def refusal(ticket: str, person: str = "bea", now: datetime = NOW, purpose: str = "stream") -> str:
    with pytest.raises(TicketRefused) as refused:
        SIGNER.read(ticket, person, now, purpose=purpose)
    return refused.value.code


def test_a_ticket_names_who_asked_whom_they_follow_and_expires_within_a_minute() -> None:
    read = SIGNER.read(SIGNER.issue("sam", "bea", NOW), "bea", NOW + timedelta(seconds=59))
    assert (read.user_id, read.person_id, read.expires) == ("sam", "bea", NOW + timedelta(seconds=60))


def test_each_ticket_has_its_own_nonce() -> None:
    first, second = (SIGNER.read(SIGNER.issue("sam", "bea", NOW), "bea", NOW) for _ in range(2))
    assert first.nonce != second.nonce


def test_an_expired_ticket_is_refused() -> None:
    assert refusal(SIGNER.issue("sam", "bea", NOW), now=NOW + timedelta(seconds=60)) == "ticket_expired"


def test_a_ticket_for_another_person_is_refused() -> None:
    assert refusal(SIGNER.issue("sam", "bea", NOW), person="ann") == "invalid_ticket"


def test_a_ticket_signed_with_another_secret_is_refused() -> None:
    forged = TicketSigner(b"another-secret-of-32-bytes-or-more!!").issue("sam", "bea", NOW)
    assert refusal(forged) == "invalid_ticket"


def test_an_altered_ticket_is_refused() -> None:
    _, _, signature = SIGNER.issue("sam", "bea", NOW).partition(".")
    other_body, _, _ = SIGNER.issue("bea", "bea", NOW).partition(".")
    assert refusal(f"{other_body}.{signature}") == "invalid_ticket"


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "é.é", "x" * 2000, "e30.AAAA", "!!!.???"])
def test_garbage_is_an_invalid_ticket_never_an_error(garbage: str) -> None:
    assert refusal(garbage) == "invalid_ticket"


def test_a_workers_snapshot_pass_opens_no_stream_and_a_ticket_reads_no_snapshot() -> None:
    assert refusal(SIGNER.issue("sam", "bea", NOW, purpose="snapshot")) == "invalid_ticket"
    assert refusal(SIGNER.issue("sam", "bea", NOW), purpose="snapshot") == "invalid_ticket"
    assert SIGNER.read(SIGNER.issue("sam", "bea", NOW, purpose="snapshot"), "bea", NOW, purpose="snapshot")
