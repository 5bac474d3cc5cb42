"""Only the token a birthing person shares, at its current version, lets someone subscribe to them."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain.subscription_token import subscription_token, token_is_valid

SECRET = b"server-secret-for-tests-only-32b!"
BEA = "bea-bp"
ROSA = "rosa-bp"
URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")


def test_the_token_a_birthing_person_shares_lets_a_subscriber_in() -> None:
    token = subscription_token(SECRET, BEA, 1)

    assert token_is_valid(SECRET, BEA, 1, token)


def test_the_same_person_and_version_always_give_the_same_token() -> None:
    assert subscription_token(SECRET, BEA, 1) == subscription_token(SECRET, BEA, 1)


def test_the_token_is_at_least_16_url_safe_characters_without_padding() -> None:
    token = subscription_token(SECRET, BEA, 1)

    assert len(token) >= 16
    assert set(token) <= URL_SAFE


def test_a_forged_token_is_refused() -> None:
    forged = subscription_token(b"a guess at the secret", BEA, 1)

    assert not token_is_valid(SECRET, BEA, 1, forged)


def test_after_rotation_the_old_token_is_refused_and_the_new_one_accepted() -> None:
    old = subscription_token(SECRET, BEA, 1)
    new = subscription_token(SECRET, BEA, 2)

    assert not token_is_valid(SECRET, BEA, 2, old)
    assert token_is_valid(SECRET, BEA, 2, new)


def test_another_birthing_persons_token_does_not_open_this_one() -> None:
    roses_token = subscription_token(SECRET, ROSA, 1)

    assert not token_is_valid(SECRET, BEA, 1, roses_token)


def test_a_truncated_token_is_refused() -> None:
    token = subscription_token(SECRET, BEA, 1)

    assert not token_is_valid(SECRET, BEA, 1, token[:-1])
    assert not token_is_valid(SECRET, BEA, 1, token[:16])


def test_a_token_with_extra_characters_is_refused() -> None:
    assert not token_is_valid(SECRET, BEA, 1, subscription_token(SECRET, BEA, 1) + "A")


def test_a_token_in_the_wrong_case_is_refused() -> None:
    token = subscription_token(SECRET, BEA, 1)

    assert not token_is_valid(SECRET, BEA, 1, token.swapcase())
    for changed in {token.upper(), token.lower()} - {token}:
        assert not token_is_valid(SECRET, BEA, 1, changed)


@pytest.mark.parametrize("odd", ["", " ", "é" * 22, "🤰" * 22, "\x00" * 22, "\ud800" * 22])
def test_an_empty_or_non_ascii_token_is_refused_without_an_error(odd: str) -> None:
    assert not token_is_valid(SECRET, BEA, 1, odd)


def test_something_that_is_not_text_is_refused_without_an_error() -> None:
    assert not token_is_valid(SECRET, BEA, 1, None)  # type: ignore[arg-type]
    assert not token_is_valid(SECRET, BEA, 1, b"bytes")  # type: ignore[arg-type]


def test_an_id_with_a_lone_surrogate_from_json_still_gets_a_token_that_validates() -> None:
    odd_id = json.loads('"bea-\\ud800"')

    assert token_is_valid(SECRET, odd_id, 1, subscription_token(SECRET, odd_id, 1))
    assert not token_is_valid(SECRET, odd_id, 1, subscription_token(SECRET, "bea-", 1))


def test_ids_and_versions_cannot_run_into_each_other() -> None:
    # With plain concatenation "bea-bp1" + "23" and "bea-bp12" + "3" would sign the same bytes.
    assert subscription_token(SECRET, "bea-bp1", 23) != subscription_token(SECRET, "bea-bp12", 3)


@given(person=st.text(), version=st.integers(min_value=0, max_value=2**63))
def test_any_person_and_version_get_a_short_url_safe_token_that_validates(person: str, version: int) -> None:
    token = subscription_token(SECRET, person, version)

    assert len(token) == 22
    assert set(token) <= URL_SAFE
    assert token_is_valid(SECRET, person, version, token)
    assert not token_is_valid(SECRET, person, version + 1, token)


@given(person=st.text(), version=st.integers(min_value=0), guess=st.text())
def test_validation_never_raises_whatever_arrives(person: str, version: int, guess: str) -> None:
    expected = guess == subscription_token(SECRET, person, version)

    assert token_is_valid(SECRET, person, version, guess) == expected


@given(data=st.data())
def test_changing_any_single_character_makes_the_token_invalid(data: st.DataObject) -> None:
    token = subscription_token(SECRET, BEA, 7)
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(sorted(URL_SAFE - {token[index]})))

    assert not token_is_valid(SECRET, BEA, 7, token[:index] + replacement + token[index + 1 :])
