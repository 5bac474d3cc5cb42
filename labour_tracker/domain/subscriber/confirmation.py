"""Confirming a destination: the service sends a one-time code there, and the subscriber enters it.

A code is derived from the server's secret and the command that asked for it, so the agent that decides the
command and the follow-up that sends it compute the same code; only a keyed digest of it is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from labour_tracker.domain.limits import Rate
from labour_tracker.domain.subscriber.model import ContactMethod

CODE_DIGITS = 8  # in its 10 minutes, the cap of 30 commands a minute leaves a guesser 1 chance in 330,000
CODE_LIFETIME = timedelta(minutes=10)
CODES_SENT_KEPT = 3
CODES_PER_HOUR = Rate(
    "confirmation_codes_limit_reached", CODES_SENT_KEPT, timedelta(hours=1), "confirmation codes an hour"
)


def confirmation_code(secret: bytes, subscriber_id: str, command_id: str) -> str:
    """The code sent for the command `command_id` of `subscriber_id`."""
    if not secret:
        raise ValueError("confirmation codes need the server's secret")
    mac = hmac.new(secret, f"confirmation-code\x00{subscriber_id}\x00{command_id}".encode(), hashlib.sha256)
    return f"{int.from_bytes(mac.digest()[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_digest(secret: bytes, subscriber_id: str, channel: ContactMethod, code: str) -> str:
    """What is stored of a code: keyed, so the events and the table do not give it away."""
    mac = hmac.new(secret, f"confirmation-digest\x00{subscriber_id}\x00{channel}\x00{code}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
