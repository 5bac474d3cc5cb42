"""The completion note in the messages that leave: under the sentence in the email (escaped in its HTML), in the
SMS only where it fits."""

from __future__ import annotations

from datetime import UTC, datetime

from labour_tracker.domain import notification as n
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.notifications.channel import Outgoing
from labour_tracker.notifications.email_message import build_email
from labour_tracker.notifications.sms import sms_body

SAM = n.Names("Sam", "Bea", "Moyo")
COMPLETED = "labour.completed"
T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)


def test_the_email_has_the_note_in_full_under_the_sentence() -> None:
    note = "a girl, 3.2 kg\nMother & baby well <3 " + "z" * 300
    assert n.full_text(COMPLETED, SAM, note) == f"Hey Sam, Bea Moyo has completed labour\n\n{note}"
    message = Outgoing(
        notification_id="n-1", channel=ContactMethod.EMAIL, destination="sam@example.org", event_type=COMPLETED,
        event_time=T0, names=SAM, subscriber_full_name="Sam Lee", note=note,
    )  # fmt: skip
    email = build_email(message, sender="Labour Tracker <noreply@example.org>", now=T0)
    text, html = (part.get_content() for part in email.iter_parts())
    assert text.startswith(f"Hey Sam, Bea Moyo has completed labour\n\n{note}\n\n")
    assert "Mother &amp; baby well &lt;3" in html, "the note is escaped in HTML"
    assert email["Subject"] == "Bea Moyo has completed labour"
    assert sms_body(message) == "Hey Sam, Bea Moyo has completed labour", "too long for the SMS: the sentence alone"
