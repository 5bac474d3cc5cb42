"""The person's completion note reaches subscribers: in full in the email, in the SMS where it still fits one
segment (keeping it over the greeting), else the sentence alone."""

from __future__ import annotations

from datetime import UTC, datetime

from labour_tracker.domain import notification as n

SAM = n.Names("Sam", "Bea", "Moyo")
COMPLETED = "labour.completed"
T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)


def test_a_note_that_fits_goes_in_the_sms_after_the_sentence() -> None:
    assert n.sms_text(COMPLETED, SAM, "a girl, 3.2 kg") == "Hey Sam, Bea Moyo has completed labour: a girl, 3.2 kg"


def test_the_note_is_kept_over_the_greeting_while_a_shorter_sentence_still_fits() -> None:
    note = "x" * 125  # too long beside the greeting (160 GSM characters a segment), not beside the name alone
    text = n.sms_text(COMPLETED, SAM, note)
    assert text == f"Bea Moyo has completed labour: {note}" and n.sms_segments(text) == 1


def test_a_note_too_long_for_one_segment_falls_back_to_the_sentence_alone() -> None:
    assert n.sms_text(COMPLETED, SAM, "y" * 200) == "Hey Sam, Bea Moyo has completed labour"
    assert n.sms_text(COMPLETED, SAM, None) == n.sms_text(COMPLETED, SAM) == "Hey Sam, Bea Moyo has completed labour"


def test_a_ucs2_note_fits_only_in_the_70_characters_of_a_unicode_segment() -> None:
    short = "a girl 💕"
    assert n.sms_text(COMPLETED, SAM, short) == f"Hey Sam, Bea Moyo has completed labour: {short}"
    assert n.sms_segments(n.sms_text(COMPLETED, SAM, short)) == 1
    longer = "a little girl, 3.2 kg, mother and baby both well 💕"  # would fit 160 GSM characters, not 70 UCS-2
    assert n.sms_text(COMPLETED, SAM, longer) == "Hey Sam, Bea Moyo has completed labour"
