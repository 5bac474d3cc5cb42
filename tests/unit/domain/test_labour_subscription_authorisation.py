"""Before anyone subscribes, the birthing person they name checks the token: the current one, theirs, not for self."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.labour import AuthoriseSubscriber, RotateSubscriptionToken, decide
from labour_tracker.domain.subscription_token import subscription_token
from tests.unit.domain.labour_story import ALICE, SECRET, T0, Story, registered

SAM = "sam-sub"
ROSA = "rosa-bp"


def current_token(story: Story) -> str:
    return subscription_token(SECRET, ALICE, story.person.subscription_token_version)


def test_the_current_token_authorises_and_changes_nothing() -> None:
    story = registered()
    before = story.state

    events = story.do(AuthoriseSubscriber(SAM, current_token(story)))

    assert events == []
    assert story.state == before


def test_a_token_made_with_another_secret_is_forbidden() -> None:
    story = registered()
    forged = subscription_token(b"a guess at the server secret, 32+", ALICE, 0)

    error = story.refuses(AuthoriseSubscriber(SAM, forged))

    assert (error.kind, error.code) == (ErrorKind.FORBIDDEN, "invalid_subscription_token")


def test_after_rotation_the_old_token_is_forbidden_and_the_new_one_authorises() -> None:
    story = registered()
    old = current_token(story)
    story.follows(SAM)
    story.do(RotateSubscriptionToken())

    error = story.refuses(AuthoriseSubscriber("kim-sub", old))

    assert (error.kind, error.code) == (ErrorKind.FORBIDDEN, "invalid_subscription_token")
    assert story.do(AuthoriseSubscriber("kim-sub", current_token(story))) == []
    assert story.person.subscribers == {SAM}, "rotation keeps the existing subscriptions"


def test_another_persons_token_is_forbidden() -> None:
    story = registered()

    error = story.refuses(AuthoriseSubscriber(SAM, subscription_token(SECRET, ROSA, 0)))

    assert (error.kind, error.code) == (ErrorKind.FORBIDDEN, "invalid_subscription_token")


@pytest.mark.parametrize(
    "mangle",
    [lambda token: token[:-1], lambda token: token.swapcase(), lambda token: "", lambda token: token + "x"],
    ids=["truncated", "wrong case", "empty", "extended"],
)
def test_a_mangled_token_is_forbidden(mangle: Callable[[str], str]) -> None:
    story = registered()
    token = current_token(story)

    error = story.refuses(AuthoriseSubscriber(SAM, mangle(token)))

    assert (error.kind, error.code) == (ErrorKind.FORBIDDEN, "invalid_subscription_token")


def test_subscribing_to_oneself_is_invalid_even_with_the_right_token() -> None:
    story = registered()

    error = story.refuses(AuthoriseSubscriber(ALICE, current_token(story)))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "cannot_subscribe_to_self")


def test_an_unknown_person_is_not_found() -> None:
    error = Story().refuses(AuthoriseSubscriber(SAM, subscription_token(SECRET, ALICE, 0)))

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "birthing_person_not_found")


def test_the_check_uses_the_secret_it_is_given() -> None:
    story = registered()
    token = current_token(story)
    command = AuthoriseSubscriber(SAM, token)

    assert decide(story.state, command, now=T0, command_id="c", subscription_secret=SECRET) == []
    with pytest.raises(DomainError, match="not valid"):
        decide(story.state, command, now=T0, command_id="c", subscription_secret=b"another server's secret, 32 chars")
