"""Stories of a subscriber who chooses, for each person they follow, how to be told about them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import SUBSCRIPTIONS_PER_SUBSCRIBER
from labour_tracker.domain.subscriber import (
    BirthingPersonForgotten,
    ContactMethod,
    ContactMethodsUpdated,
    EraseSubscriber,
    ForgetBirthingPerson,
    SetSubscriptionContactMethods,
    SubscribedTo,
    Subscriber,
    SubscriberCommand,
    SubscriberErased,
    SubscriberEvent,
    SubscriberRegistered,
    SubscribeTo,
    SubscriptionContactMethodsSet,
    UnsubscribedFrom,
    UnsubscribeFrom,
    decide,
    replay,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SMS, EMAIL = ContactMethod.SMS, ContactMethod.EMAIL
BOTH = frozenset({SMS, EMAIL})
SAM = "sam-sub"
SISTER, FRIEND = "sister-bp", "friend-bp"

# Sam is told by both channels unless he chooses otherwise for someone.
SAM_REGISTERED = SubscriberRegistered(SAM, "Sam", "Okafor", "+447700900123", "sam@example.org", BOTH, BOTH)
SAM_BY_EMAIL_ONLY = SubscriberRegistered(SAM, "Sam", "Okafor", None, "sam@example.org", frozenset({EMAIL}))
SAM_BY_SMS_ONLY = SubscriberRegistered(SAM, "Sam", "Okafor", "+447700900123", None, frozenset({SMS}))


def given(*events: SubscriberEvent) -> Subscriber:
    state = replay(events)
    assert state is not None
    return state


def rejection(state: Subscriber | None, command: SubscriberCommand) -> tuple[ErrorKind, str]:
    with pytest.raises(DomainError) as raised:
        decide(state, command, now=NOW)
    return raised.value.kind, raised.value.code


# Choosing when subscribing


def test_a_subscriber_chooses_sms_only_for_the_person_they_subscribe_to() -> None:
    events = decide(given(SAM_REGISTERED), SubscribeTo(SISTER, contact_methods=frozenset({SMS})), now=NOW)

    assert events == [SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS}))]
    state = given(SAM_REGISTERED, *events)
    assert state.contact_methods_for(SISTER) == {SMS}
    assert state.subscription_contact_methods == {SISTER: {SMS}}


def test_without_a_choice_the_accounts_contact_methods_apply_and_follow_its_changes() -> None:
    [subscribed] = decide(given(SAM_REGISTERED), SubscribeTo(FRIEND), now=NOW)

    assert subscribed == SubscribedTo(SAM, FRIEND, contact_methods=None)
    state = given(SAM_REGISTERED, subscribed)
    assert state.contact_methods_for(FRIEND) == BOTH and state.subscription_contact_methods == {}
    changed = given(SAM_REGISTERED, subscribed, ContactMethodsUpdated(SAM, frozenset({EMAIL})))
    assert changed.contact_methods_for(FRIEND) == {EMAIL}


def test_two_persons_followed_are_told_about_by_different_channels() -> None:
    state = given(
        SAM_REGISTERED,
        SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})),
        SubscribedTo(SAM, FRIEND, contact_methods=frozenset({EMAIL})),
    )

    assert (state.contact_methods_for(SISTER), state.contact_methods_for(FRIEND)) == ({SMS}, {EMAIL})


def test_a_choice_for_one_person_outlives_a_change_of_the_accounts_contact_methods() -> None:
    state = given(
        SAM_REGISTERED,
        SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})),
        ContactMethodsUpdated(SAM, frozenset({EMAIL})),
    )

    assert state.contact_methods_for(SISTER) == {SMS}


def test_subscribing_by_sms_without_a_phone_number_is_refused() -> None:
    command = SubscribeTo(SISTER, contact_methods=frozenset({SMS}))

    assert rejection(given(SAM_BY_EMAIL_ONLY), command) == (ErrorKind.INVALID, "phone_number_required")


def test_subscribing_by_email_without_an_email_address_is_refused() -> None:
    command = SubscribeTo(SISTER, contact_methods=frozenset({EMAIL}))

    assert rejection(given(SAM_BY_SMS_ONLY), command) == (ErrorKind.INVALID, "email_required")


def test_subscribing_with_an_empty_choice_is_refused() -> None:
    command = SubscribeTo(SISTER, contact_methods=frozenset())

    assert rejection(given(SAM_REGISTERED), command) == (ErrorKind.INVALID, "contact_methods_required")


def test_a_subscriber_told_only_by_email_may_still_choose_sms_for_one_person_when_they_have_a_number() -> None:
    email_account = SubscriberRegistered(SAM, "Sam", "Okafor", "+447700900123", "sam@example.org", frozenset({EMAIL}))

    [subscribed] = decide(given(email_account), SubscribeTo(SISTER, contact_methods=frozenset({SMS})), now=NOW)

    assert given(email_account, subscribed).contact_methods_for(SISTER) == {SMS}


def test_a_choice_does_not_lift_the_cap_on_persons_followed() -> None:
    cap = SUBSCRIPTIONS_PER_SUBSCRIBER.maximum
    state = given(SAM_REGISTERED, *(SubscribedTo(SAM, f"p-{n}", contact_methods=frozenset({SMS})) for n in range(cap)))

    assert len(state.subscription_contact_methods) == cap
    assert rejection(state, SubscribeTo(SISTER, contact_methods=frozenset({SMS}))) == (
        ErrorKind.INVALID,
        "subscription_limit_reached",
    )


# Choosing later


def test_a_subscriber_changes_how_they_are_told_about_someone_they_follow() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, FRIEND))

    events = decide(state, SetSubscriptionContactMethods(FRIEND, frozenset({EMAIL})), now=NOW)

    assert events == [SubscriptionContactMethodsSet(SAM, FRIEND, frozenset({EMAIL}))]
    changed = given(SAM_REGISTERED, SubscribedTo(SAM, FRIEND), *events)
    assert changed.contact_methods_for(FRIEND) == {EMAIL} and changed.contact_methods == BOTH


def test_choosing_again_replaces_the_earlier_choice_for_that_person_only() -> None:
    history = (
        SAM_REGISTERED,
        SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})),
        SubscribedTo(SAM, FRIEND, contact_methods=frozenset({EMAIL})),
    )

    events = decide(given(*history), SetSubscriptionContactMethods(SISTER, BOTH), now=NOW)

    state = given(*history, *events)
    assert state.subscription_contact_methods == {SISTER: BOTH, FRIEND: {EMAIL}}


def test_choosing_what_is_already_chosen_for_that_person_changes_nothing() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})))

    assert decide(state, SetSubscriptionContactMethods(SISTER, frozenset({SMS})), now=NOW) == []


def test_choosing_the_accounts_channels_for_a_person_keeps_them_when_the_account_changes() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, FRIEND))

    events = decide(state, SetSubscriptionContactMethods(FRIEND, BOTH), now=NOW)

    assert events == [SubscriptionContactMethodsSet(SAM, FRIEND, BOTH)]
    later = given(SAM_REGISTERED, SubscribedTo(SAM, FRIEND), *events, ContactMethodsUpdated(SAM, frozenset({SMS})))
    assert later.contact_methods_for(FRIEND) == BOTH


def test_choosing_for_someone_not_followed_is_refused() -> None:
    assert rejection(given(SAM_REGISTERED), SetSubscriptionContactMethods(SISTER, frozenset({SMS}))) == (
        ErrorKind.INVALID,
        "not_subscribed",
    )


def test_choosing_for_someone_no_longer_followed_is_refused() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, SISTER), UnsubscribedFrom(SAM, SISTER))

    assert rejection(state, SetSubscriptionContactMethods(SISTER, frozenset({SMS}))) == (
        ErrorKind.INVALID,
        "not_subscribed",
    )


@pytest.mark.parametrize(
    ("registered", "chosen", "code"),
    [
        (SAM_BY_EMAIL_ONLY, frozenset({SMS}), "phone_number_required"),
        (SAM_BY_EMAIL_ONLY, BOTH, "phone_number_required"),
        (SAM_BY_SMS_ONLY, frozenset({EMAIL}), "email_required"),
        (SAM_REGISTERED, frozenset(), "contact_methods_required"),
    ],
    ids=["sms-without-number", "both-without-number", "email-without-address", "none"],
)
def test_choosing_a_channel_without_its_destination_or_none_at_all_is_refused(
    registered: SubscriberRegistered, chosen: frozenset[ContactMethod], code: str
) -> None:
    state = given(registered, SubscribedTo(SAM, SISTER))

    assert rejection(state, SetSubscriptionContactMethods(SISTER, chosen)) == (ErrorKind.INVALID, code)


def test_choosing_for_a_person_before_registering_is_not_found() -> None:
    assert rejection(None, SetSubscriptionContactMethods(SISTER, frozenset({SMS}))) == (
        ErrorKind.NOT_FOUND,
        "subscriber_not_found",
    )


# Forgotten when the subscription ends


def test_unsubscribing_forgets_the_choice_and_a_new_subscription_starts_with_the_accounts() -> None:
    history = (SAM_REGISTERED, SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})))
    [unsubscribed] = decide(given(*history), UnsubscribeFrom(SISTER), now=NOW)

    gone = given(*history, unsubscribed)
    assert gone.subscription_contact_methods == {}
    [again] = decide(gone, SubscribeTo(SISTER), now=NOW)
    assert given(*history, unsubscribed, again).contact_methods_for(SISTER) == BOTH


def test_a_person_who_lets_the_subscriber_go_takes_the_choice_with_them() -> None:
    history = (
        SAM_REGISTERED,
        SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})),
        SubscribedTo(SAM, FRIEND, contact_methods=frozenset({EMAIL})),
    )

    [forgotten] = decide(given(*history), ForgetBirthingPerson(SISTER), now=NOW)

    assert forgotten == BirthingPersonForgotten(SAM, SISTER)
    assert given(*history, forgotten).subscription_contact_methods == {FRIEND: {EMAIL}}


def test_erasing_the_subscriber_forgets_every_choice() -> None:
    history = (SAM_REGISTERED, SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})))

    [erased] = decide(given(*history), EraseSubscriber(), now=NOW)

    assert erased == SubscriberErased(SAM, (SISTER,))
    assert replay((*history, erased)) is None


def test_a_choice_is_kept_only_for_persons_followed() -> None:
    state = given(
        SAM_REGISTERED,
        SubscribedTo(SAM, SISTER, contact_methods=frozenset({SMS})),
        SubscriptionContactMethodsSet(SAM, SISTER, frozenset({EMAIL})),
        SubscribedTo(SAM, FRIEND),
        BirthingPersonForgotten(SAM, SISTER),
    )

    assert state.subscription_contact_methods.keys() <= state.subscribed_to
