"""The domain's view of an authenticated person; built from verified token claims at the edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone_number: str | None = None
    username: str | None = None
    operator: bool = False  # may use the operators' pages: Faust's introspection of the worker
    email_verified: bool = False  # the issuer says it verified the address (OpenID Connect's claim)
    phone_number_verified: bool = False
