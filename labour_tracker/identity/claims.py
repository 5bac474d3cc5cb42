"""Verified token claims turned into the domain `User`, and the error that refuses a token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.domain.user import User

__all__ = ["OPERATOR_ROLE", "InvalidToken", "claims_to_user", "roles"]

OPERATOR_ROLE = "operator"  # the issuer's realm role of the people who run the service


class InvalidToken(Exception):
    """The bearer token cannot be trusted; `reason` is short, human and safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "") or None  # NUL is never part of a name, and no command may carry it


def roles(claims: Mapping[str, Any]) -> frozenset[str]:
    """The realm roles the issuer grants (Keycloak's `realm_access.roles`); none when the claim is missing or odd."""
    access = claims.get("realm_access")
    granted = access.get("roles") if isinstance(access, Mapping) else None
    if not isinstance(granted, list):
        return frozenset()
    return frozenset(each for each in granted if isinstance(each, str))


def claims_to_user(claims: Mapping[str, Any]) -> User:
    """The domain `User` named by verified claims; only `sub` is required, other claims degrade gracefully."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("token has no subject")
    if "\x00" in sub:
        raise InvalidToken("token subject holds a NUL character")
    if len(sub) > MAX_AGGREGATE_ID_LENGTH:
        raise InvalidToken("token subject is too long")
    username = _text(claims, "preferred_username")
    return User(
        id=sub,
        first_name=_text(claims, "given_name") or username or "",
        last_name=_text(claims, "family_name") or "",
        email=_text(claims, "email"),
        phone_number=_text(claims, "phone_number"),
        username=username,
        operator=OPERATOR_ROLE in roles(claims),
        email_verified=claims.get("email_verified") is True,
        phone_number_verified=claims.get("phone_number_verified") is True,
    )
