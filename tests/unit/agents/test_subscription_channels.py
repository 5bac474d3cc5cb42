"""The fan-out's second step with a subscriber who chose, for each person they follow, how to be told about them."""

from __future__ import annotations

from datetime import UTC, datetime

from labour_tracker.agents.notification_fanout import deliveries_for
from labour_tracker.domain.notification import notification_id, resend_id
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber
from labour_tracker.messages.notifications import NotificationRequest

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SMS, EMAIL = ContactMethod.SMS, ContactMethod.EMAIL
BOTH = frozenset({SMS, EMAIL})
SISTER, FRIEND, COUSIN = "sister", "friend", "cousin"


def sam(*, confirmed: frozenset[ContactMethod] = BOTH) -> Subscriber:
    """Told by both channels on his account; the sister by SMS only, the friend by email only, the cousin as the
    account says."""
    return Subscriber(
        "sam",
        "Sam",
        "Lee",
        "+447700900123",
        "sam@example.org",
        BOTH,
        frozenset({SISTER, FRIEND, COUSIN}),
        confirmed=confirmed,
        subscription_contact_methods={SISTER: frozenset({SMS}), FRIEND: frozenset({EMAIL})},
    )


def request(person_id: str, *, channel: ContactMethod | None = None, resend: int = 0) -> NotificationRequest:
    return NotificationRequest(
        event_id=f"begun-{person_id}",
        event_type="labour.begun",
        event_time=T0,
        birthing_person_id=person_id,
        birthing_person_first_name="Bea",
        birthing_person_last_name="Moyo",
        labour_id="l-1",
        subscriber_id="sam",
        channel=channel,
        resend=resend,
    )


def channels(person_id: str, subscriber: Subscriber) -> list[tuple[str, str]]:
    return [(each.channel.value, each.destination) for each in deliveries_for(request(person_id), subscriber)]


def test_news_about_each_person_goes_by_the_channels_chosen_for_them_or_else_the_accounts() -> None:
    assert channels(SISTER, sam()) == [("sms", "+447700900123")]
    assert channels(FRIEND, sam()) == [("email", "sam@example.org")]
    assert channels(COUSIN, sam()) == [("email", "sam@example.org"), ("sms", "+447700900123")]


def test_a_chosen_channel_whose_destination_is_not_confirmed_gets_nothing() -> None:
    email_confirmed_only = sam(confirmed=frozenset({EMAIL}))

    assert channels(SISTER, email_confirmed_only) == []
    assert channels(FRIEND, email_confirmed_only) == [("email", "sam@example.org")]
    assert channels(COUSIN, email_confirmed_only) == [("email", "sam@example.org")]


def test_a_choice_for_a_person_no_longer_followed_sends_nothing() -> None:
    subscriber = sam()
    unfollowed = Subscriber(
        subscriber.id,
        subscriber.first_name,
        subscriber.last_name,
        subscriber.phone_number,
        subscriber.email,
        subscriber.contact_methods,
        frozenset({FRIEND}),
        confirmed=subscriber.confirmed,
        subscription_contact_methods={FRIEND: frozenset({EMAIL})},
    )

    assert channels(SISTER, unfollowed) == []


def test_a_resend_goes_on_its_channel_only_while_that_channel_is_chosen_for_the_person() -> None:
    [resent] = deliveries_for(request(SISTER, channel=SMS, resend=1), sam())

    assert resent.channel is SMS
    assert resent.notification_id == resend_id(notification_id(f"begun-{SISTER}", "sam", SMS), 1)
    assert deliveries_for(request(SISTER, channel=EMAIL, resend=1), sam()) == []
    assert [each.channel for each in deliveries_for(request(COUSIN, channel=EMAIL, resend=2), sam())] == [EMAIL]
