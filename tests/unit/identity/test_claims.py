"""Verified claims become a domain user; only the subject is required, other claims degrade gracefully."""

from __future__ import annotations

from typing import Any

import pytest

from labour_tracker.domain.user import User
from labour_tracker.identity.claims import InvalidToken, claims_to_user


def test_claims_become_a_user() -> None:
    claims = {
        "sub": "u-1",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "phone_number": "+447700900123",
        "preferred_username": "ada",
        "realm_access": {"roles": ["ignored"]},
    }
    assert claims_to_user(claims) == User("u-1", "Ada", "Lovelace", "ada@example.org", "+447700900123", "ada")


def test_missing_names_fall_back_to_the_username_then_to_empty() -> None:
    assert claims_to_user({"sub": "u-1", "preferred_username": "ada"}) == User("u-1", "ada", "", username="ada")
    assert claims_to_user({"sub": "u-1"}) == User("u-1", "", "")


def test_claims_of_the_wrong_type_are_treated_as_absent() -> None:
    claims = {"sub": "u-1", "given_name": 42, "family_name": None, "email": ["a@b"], "preferred_username": {}}
    assert claims_to_user(claims) == User("u-1", "", "")


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 7}], ids=["absent", "empty", "not-a-string"])
def test_a_user_needs_a_subject(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken, match="no subject"):
        claims_to_user(claims)


def test_a_token_subject_with_nul_is_refused_and_nul_is_dropped_from_names() -> None:
    with pytest.raises(InvalidToken, match="NUL"):
        claims_to_user({"sub": "al\x00ice"})
    user = claims_to_user({"sub": "alice", "given_name": "A\x00da", "family_name": "\x00", "email": "a@b\x00.c"})
    assert (user.first_name, user.last_name, user.email) == ("Ada", "", "a@b.c")


def test_an_operator_is_who_the_issuer_grants_the_operator_role() -> None:
    assert claims_to_user({"sub": "op", "realm_access": {"roles": ["operator", "other"]}}).operator
    assert not claims_to_user({"sub": "u-1", "realm_access": {"roles": ["user"]}}).operator
    assert not claims_to_user({"sub": "u-1"}).operator


@pytest.mark.parametrize("access", ["operator", {"roles": "operator"}, {"roles": [1, None]}, ["operator"]])
def test_roles_in_an_odd_shape_grant_nothing(access: Any) -> None:
    assert not claims_to_user({"sub": "u-1", "realm_access": access}).operator
