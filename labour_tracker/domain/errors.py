"""Domain errors: every broken rule is one of these, never a bare exception."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What kind of rule was broken; the HTTP layer maps each kind to a status."""

    INVALID = "invalid"  # the request contradicts the aggregate's state (400)
    FORBIDDEN = "forbidden"  # the caller may not do this (403)
    NOT_FOUND = "not_found"  # the aggregate or entity does not exist (404)
    CONFLICT = "conflict"  # the aggregate already exists (409)
    UNPROCESSABLE = "unprocessable"  # a value is outside its allowed range (422)
    TOO_MANY = "too_many"  # the caller did this too often lately; `retry_after` says when it may again (429)


class DomainError(Exception):
    """A broken domain rule, with a stable snake_case code and a human sentence."""

    def __init__(self, kind: ErrorKind, code: str, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.kind = kind
        self.code = code
        self.description = description
        self.retry_after = retry_after  # whole seconds, for TOO_MANY

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DomainError) and (self.kind, self.code, self.description) == (
            other.kind,
            other.code,
            other.description,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.code, self.description))

    def __repr__(self) -> str:
        return f"DomainError({self.kind.value!r}, {self.code!r}, {self.description!r})"
