"""Stream tickets: a browser's EventSource cannot send a bearer token, so a stream opens with a ticket instead.

A ticket is HMAC-SHA256-signed (a key derived from the service's secret) over who asked, whom they follow, when it
expires and a random nonce; it is good for one stream, once, on any worker: redeeming it records the nonce in
PostgreSQL, which every worker reaches (`NonceLedger`). A pass is the same signed claim for one worker to read a
snapshot from the worker owning the person; it carries no nonce, and lives seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TICKET_LIFETIME = timedelta(seconds=60)
PASS_LIFETIME = timedelta(seconds=15)
MAX_TICKET_LENGTH = 1024  # longer is no ticket of ours


class TicketRefused(Exception):
    """No stream for this ticket (401): `code` says why, stably."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


NO_TICKET = TicketRefused("ticket_required", "A stream opens with a ticket (`?ticket=`) from POST /live/tickets.")
INVALID_TICKET = TicketRefused("invalid_ticket", "This is not a valid stream ticket for this person.")
EXPIRED_TICKET = TicketRefused("ticket_expired", "This stream ticket has expired; ask for another.")
USED_TICKET = TicketRefused("ticket_used", "This stream ticket was already used; ask for another.")


@dataclass(frozen=True)
class Ticket:
    user_id: str
    person_id: str
    expires: datetime
    nonce: str
    purpose: str = "stream"


class TicketSigner:
    def __init__(self, secret: bytes) -> None:
        self.key = hmac.new(secret, b"labour-tracker live ticket", hashlib.sha256).digest()

    def issue(self, user_id: str, person_id: str, now: datetime, *, purpose: str = "stream") -> str:
        lifetime = TICKET_LIFETIME if purpose == "stream" else PASS_LIFETIME
        claims = {
            "u": user_id,
            "p": person_id,
            "e": int((now + lifetime).timestamp()),
            "n": secrets.token_urlsafe(16),
            "k": purpose,
        }
        body = _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{_encode(self._signature(body))}"

    def read(self, ticket: str, person_id: str, now: datetime, *, purpose: str = "stream") -> Ticket:
        """The ticket's claims, if it is ours, for this purpose and person, and not expired; raises otherwise."""
        body, dot, signature = ticket.partition(".")
        if not dot or len(ticket) > MAX_TICKET_LENGTH:
            raise INVALID_TICKET
        try:
            valid = hmac.compare_digest(_decode(signature), self._signature(body))
            claims = json.loads(_decode(body)) if valid else None
            found = Ticket(
                str(claims["u"]), str(claims["p"]), datetime.fromtimestamp(int(claims["e"]), UTC), str(claims["n"]),
                str(claims["k"]),
            ) if claims is not None else None  # fmt: skip
        except (ValueError, TypeError, KeyError, OverflowError):
            raise INVALID_TICKET from None
        if found is None or found.purpose != purpose or found.person_id != person_id:
            raise INVALID_TICKET
        if found.expires <= now:
            raise EXPIRED_TICKET
        return found

    def _signature(self, body: str) -> bytes:
        return hmac.new(self.key, body.encode(), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
