"""The secret a birthing person shares so that the people they choose can subscribe to them."""

from __future__ import annotations

import base64
import hashlib
import hmac

# 22 URL-safe base64 characters carry 132 bits: far beyond guessing, still short enough to share in a link.
TOKEN_LENGTH = 22

_PURPOSE = b"labour_tracker/subscription_token/v1\x00"


def _message(birthing_person_id: str, version: int) -> bytes:
    # The id is length-prefixed so that no other (id, version) pair encodes to the same bytes;
    # surrogatepass makes every str encodable, so validation can never raise on an odd id.
    person = birthing_person_id.encode("utf-8", "surrogatepass")
    return _PURPOSE + len(person).to_bytes(4, "big") + person + str(version).encode("ascii")


def subscription_token(secret: bytes, birthing_person_id: str, version: int) -> str:
    """The token for this birthing person at this token version; rotating means incrementing the version."""
    digest = hmac.new(secret, _message(birthing_person_id, version), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:TOKEN_LENGTH]


def token_is_valid(secret: bytes, birthing_person_id: str, version: int, token: str) -> bool:
    """Whether the token is the current one for this birthing person, compared in constant time."""
    # Tokens come from request bodies: anything that is not an ASCII string is simply wrong, never an error.
    if not isinstance(token, str) or not token.isascii():
        return False
    return hmac.compare_digest(subscription_token(secret, birthing_person_id, version), token)
