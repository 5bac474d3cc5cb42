"""A notification as an RFC 5322 email: text and HTML alternatives, and the headers a relay and a reader expect."""

from __future__ import annotations

import html
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from labour_tracker.domain.notification import CODE_SUBJECT, code_text, full_text, subject
from labour_tracker.notifications.channel import Outgoing

FOOTER = "You get this because you follow {first} {last}'s labour on Labour Tracker."
CODE_FOOTER = "You get this because this address was given to Labour Tracker, to be told about a labour."


def message_id(notification_id: str, sender: str) -> str:
    """Derived from the notification id: a copy delivered twice is recognisably the same message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "labour-tracker.local"
    return f"<{notification_id}@{domain}>"


def build_email(message: Outgoing, *, sender: str, now: datetime) -> EmailMessage:
    names = message.names
    if message.code:
        text, title, footer = code_text(message.code), CODE_SUBJECT, CODE_FOOTER
    else:
        text = full_text(message.event_type, names, message.note, message.moment)
        title = subject(message.event_type, names, message.moment)
        footer = FOOTER.format(first=names.first, last=names.last)
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = Address(display_name=message.subscriber_full_name, addr_spec=message.destination)
    email["Subject"] = title
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message.notification_id, sender)
    email["Auto-Submitted"] = "auto-generated"  # tells mail servers not to answer it with an out-of-office
    email.set_content(f"{text}\n\n{footer}\n")
    sentence, _, note = text.partition("\n\n")  # the note under the sentence, its line breaks kept
    body = f'<p style="font-size:16px">{html.escape(sentence)}</p>\n'
    if note:
        body += f'<p style="font-size:16px;white-space:pre-line">{html.escape(note)}</p>\n'
    email.add_alternative(
        "<!DOCTYPE html>\n<html><body>\n"
        f"{body}"
        f'<p style="color:#666;font-size:12px">{html.escape(footer)}</p>\n'
        "</body></html>\n",
        subtype="html",
    )
    return email


def email_bytes(message: Outgoing, *, sender: str, now: datetime) -> bytes:
    """The message as the relay reads it from its pickup directory: CRLF line ends, ASCII-safe headers."""
    return build_email(message, sender=sender, now=now).as_bytes(policy=SMTP)
