"""The birthing person chooses who follows: a follower removed, or blocked so no link lets them back, unblocked,
or everyone let go with the old link."""

from __future__ import annotations

from labour_tracker.domain.labour import (
    AddSubscriber,
    AuthoriseSubscriber,
    FollowerRemoved,
    RemoveFollower,
    RotateSubscriptionToken,
    SubscriberBlocked,
    SubscriberTurnedAway,
    SubscriberUnblocked,
    SubscriptionTokenRotated,
    UnblockSubscriber,
)
from labour_tracker.domain.limits import BLOCKED_PER_PERSON
from labour_tracker.domain.subscription_token import subscription_token
from tests.unit.domain.labour_story import ALICE, SECRET, Story, registered

SAM, KIM = "sam-sub", "kim-sub"


def followed() -> Story:
    story = registered()
    story.follows(SAM)
    story.follows(KIM)
    return story


def token(story: Story) -> str:
    return subscription_token(SECRET, ALICE, story.person.subscription_token_version)


def test_a_removed_follower_stops_following_and_may_follow_again_with_the_link() -> None:
    story = followed()

    assert story.do(RemoveFollower(SAM)) == [FollowerRemoved(ALICE, SAM)]

    assert story.person.subscribers == {KIM}
    assert story.do(AuthoriseSubscriber(SAM, token(story))) == []
    assert story.refuses(RemoveFollower(SAM)).code == "subscriber_not_found"


def test_a_blocked_follower_is_removed_and_no_link_lets_them_back_until_unblocked() -> None:
    story = followed()

    assert story.do(RemoveFollower(SAM, block=True)) == [FollowerRemoved(ALICE, SAM), SubscriberBlocked(ALICE, SAM)]

    assert (story.person.subscribers, story.person.blocked) == ({KIM}, {SAM})
    assert story.refuses(AuthoriseSubscriber(SAM, token(story))).code == "subscriber_blocked"
    assert story.do(AddSubscriber(SAM, token_version=0)) == [SubscriberTurnedAway(ALICE, SAM)]  # authorised before
    assert story.do(UnblockSubscriber(SAM)) == [SubscriberUnblocked(ALICE, SAM)]
    assert story.do(AuthoriseSubscriber(SAM, token(story))) == []
    assert story.do(UnblockSubscriber(SAM)) == []  # not blocked: as asked


def test_someone_not_following_can_be_blocked_ahead() -> None:
    story = followed()
    assert story.do(RemoveFollower("stranger", block=True)) == [SubscriberBlocked(ALICE, "stranger")]
    assert story.do(RemoveFollower("stranger", block=True)) == []


def test_rotating_with_remove_followers_lets_everyone_go_with_the_old_link() -> None:
    story = followed()

    events = story.do(RotateSubscriptionToken(remove_followers=True))

    assert events == [SubscriptionTokenRotated(ALICE, 1), FollowerRemoved(ALICE, KIM), FollowerRemoved(ALICE, SAM)]
    assert story.person.subscribers == frozenset()
    assert story.do(RotateSubscriptionToken()) == [SubscriptionTokenRotated(ALICE, 2)]  # followers stay by default


def test_blocking_is_bounded() -> None:
    story = registered()
    for number in range(BLOCKED_PER_PERSON.maximum):
        story.do(RemoveFollower(f"pest-{number}", block=True))
    assert story.refuses(RemoveFollower("one-more", block=True)).code == "blocked_limit_reached"
