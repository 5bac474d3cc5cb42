"""The mirror's subscription rows: each person a subscriber follows, with the channels news about them goes by."""

from __future__ import annotations

from datetime import UTC, datetime

from labour_tracker.domain.subscriber import ContactMethod, Subscriber
from labour_tracker.mirror.rows import Change, subscription_rows

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)
SMS, EMAIL = ContactMethod.SMS, ContactMethod.EMAIL


def change(state: Subscriber, version: int = 4) -> Change:
    return Change("subscribers", state.id, version, state, AT, "changelog", 0, version, b"")


def test_each_subscription_is_written_with_its_chosen_channels_or_else_the_accounts() -> None:
    sam = Subscriber(
        "sam", "Sam", "Lee", "+447700900123", "sam@example.org", frozenset({SMS, EMAIL}),
        frozenset({"sister", "friend", "cousin"}),
        subscription_contact_methods={"sister": frozenset({SMS}), "friend": frozenset({EMAIL})},
    )  # fmt: skip

    assert subscription_rows([change(sam)]) == [
        ["sam", "sam", "sam"],
        ["cousin", "friend", "sister"],
        ["email,sms", "email", "sms"],
    ]


def test_a_subscriber_following_no_one_has_no_rows() -> None:
    kim = Subscriber("kim", "Kim", "Lee", None, "kim@example.org", frozenset({EMAIL}))

    assert subscription_rows([change(kim)]) == [[], [], []]
