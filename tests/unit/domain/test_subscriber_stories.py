"""Stories of a subscriber: registering, choosing how to be told, subscribing and unsubscribing."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.subscriber import (
    COMMAND_TYPES,
    EVENT_TYPES,
    BirthingPersonForgotten,
    ConfirmationCodeSent,
    ConfirmContact,
    ContactConfirmed,
    ContactMethod,
    ContactMethodsUpdated,
    EraseSubscriber,
    ForgetBirthingPerson,
    RegisterSubscriber,
    RequestConfirmationCode,
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
    UpdateContactMethods,
    decide,
    evolve,
    replay,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SMS = ContactMethod.SMS
EMAIL = ContactMethod.EMAIL

SAM = "sam-sub"
BEA = "bea-sub"
ROSA = "rosa-sub"

SAM_REGISTERS = RegisterSubscriber(
    subscriber_id=SAM,
    first_name="Sam",
    last_name="Okafor",
    phone_number="+447700900123",
    email="sam@example.org",
    contact_methods=frozenset({SMS}),
)
SAM_REGISTERED = SubscriberRegistered(
    subscriber_id=SAM,
    first_name="Sam",
    last_name="Okafor",
    phone_number="+447700900123",
    email="sam@example.org",
    contact_methods=frozenset({SMS}),
    confirmed=frozenset(),  # his token did not say the issuer verified either
)


def given(*events: SubscriberEvent) -> Subscriber | None:
    return replay(events)


def rejection(state: Subscriber | None, command: SubscriberCommand) -> tuple[ErrorKind, str]:
    with pytest.raises(DomainError) as raised:
        decide(state, command, now=NOW)
    return raised.value.kind, raised.value.code


# Registering


def test_a_new_subscriber_registers_with_their_names_details_and_chosen_contact_methods() -> None:
    events = decide(None, SAM_REGISTERS, now=NOW)

    assert events == [SAM_REGISTERED]
    assert replay(events) == Subscriber(
        id=SAM,
        first_name="Sam",
        last_name="Okafor",
        phone_number="+447700900123",
        email="sam@example.org",
        contact_methods=frozenset({SMS}),
        subscribed_to=frozenset(),
    )


def test_a_subscriber_can_ask_to_be_told_by_both_sms_and_email() -> None:
    both = RegisterSubscriber(SAM, "Sam", "Okafor", "+447700900123", "sam@example.org", frozenset({SMS, EMAIL}))

    [registered] = decide(None, both, now=NOW)

    assert evolve(None, registered).contact_methods == {SMS, EMAIL}


def test_registering_twice_is_a_conflict() -> None:
    assert rejection(given(SAM_REGISTERED), SAM_REGISTERS) == (
        ErrorKind.CONFLICT,
        "subscriber_already_registered",
    )


@pytest.mark.parametrize("phone_number", [None, "", "   "])
def test_choosing_sms_without_a_phone_number_is_refused(phone_number: str | None) -> None:
    command = RegisterSubscriber(SAM, "Sam", "Okafor", phone_number, "sam@example.org", frozenset({SMS}))

    assert rejection(None, command) == (ErrorKind.INVALID, "phone_number_required")


@pytest.mark.parametrize("email", [None, "", "   "])
def test_choosing_email_without_an_email_address_is_refused(email: str | None) -> None:
    command = RegisterSubscriber(SAM, "Sam", "Okafor", "+447700900123", email, frozenset({EMAIL}))

    assert rejection(None, command) == (ErrorKind.INVALID, "email_required")


def test_a_subscriber_with_only_an_email_address_can_be_told_by_email() -> None:
    command = RegisterSubscriber(SAM, "Sam", "Okafor", None, "sam@example.org", frozenset({EMAIL}))

    [registered] = decide(None, command, now=NOW)

    assert evolve(None, registered).phone_number is None


def test_registering_without_any_contact_method_is_refused() -> None:
    command = RegisterSubscriber(SAM, "Sam", "Okafor", "+447700900123", "sam@example.org", frozenset())

    assert rejection(None, command) == (ErrorKind.INVALID, "contact_methods_required")


# Changing how to be told


def test_a_subscriber_switches_from_sms_to_email() -> None:
    state = given(SAM_REGISTERED)

    events = decide(state, UpdateContactMethods(frozenset({EMAIL})), now=NOW)

    assert events == [ContactMethodsUpdated(subscriber_id=SAM, contact_methods=frozenset({EMAIL}))]
    assert given(SAM_REGISTERED, *events) == Subscriber(
        SAM, "Sam", "Okafor", "+447700900123", "sam@example.org", frozenset({EMAIL})
    )


def test_choosing_the_contact_methods_already_chosen_changes_nothing() -> None:
    assert decide(given(SAM_REGISTERED), UpdateContactMethods(frozenset({SMS})), now=NOW) == []


def test_switching_to_sms_without_a_phone_number_is_refused() -> None:
    email_only = SubscriberRegistered(SAM, "Sam", "Okafor", None, "sam@example.org", frozenset({EMAIL}))

    assert rejection(given(email_only), UpdateContactMethods(frozenset({SMS}))) == (
        ErrorKind.INVALID,
        "phone_number_required",
    )


def test_switching_to_email_without_an_email_address_is_refused() -> None:
    sms_only = SubscriberRegistered(SAM, "Sam", "Okafor", "+447700900123", None, frozenset({SMS}))

    assert rejection(given(sms_only), UpdateContactMethods(frozenset({EMAIL}))) == (
        ErrorKind.INVALID,
        "email_required",
    )


def test_dropping_every_contact_method_is_refused() -> None:
    assert rejection(given(SAM_REGISTERED), UpdateContactMethods(frozenset())) == (
        ErrorKind.INVALID,
        "contact_methods_required",
    )


# Subscribing and unsubscribing


def test_a_subscriber_subscribes_to_a_birthing_person() -> None:
    events = decide(given(SAM_REGISTERED), SubscribeTo(BEA), now=NOW)

    assert events == [SubscribedTo(subscriber_id=SAM, birthing_person_id=BEA)]
    state = given(SAM_REGISTERED, *events)
    assert state is not None
    assert state.subscribed_to == {BEA}


def test_a_subscriber_can_follow_several_birthing_people() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, BEA))

    [subscribed] = decide(state, SubscribeTo(ROSA), now=NOW)

    assert evolve(state, subscribed).subscribed_to == {BEA, ROSA}


def test_a_subscriber_follows_at_most_fifty_birthing_people() -> None:
    state = given(SAM_REGISTERED, *(SubscribedTo(SAM, f"person-{n}") for n in range(50)))

    assert rejection(state, SubscribeTo(ROSA)) == (ErrorKind.INVALID, "subscription_limit_reached")


def test_subscribing_twice_to_the_same_person_is_refused() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, BEA))

    assert rejection(state, SubscribeTo(BEA)) == (ErrorKind.INVALID, "already_subscribed")


def test_a_subscriber_cannot_subscribe_to_themselves() -> None:
    assert rejection(given(SAM_REGISTERED), SubscribeTo(SAM)) == (
        ErrorKind.INVALID,
        "cannot_subscribe_to_self",
    )


def test_a_subscriber_unsubscribes_and_stops_following_that_person_only() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, BEA), SubscribedTo(SAM, ROSA))

    events = decide(state, UnsubscribeFrom(BEA), now=NOW)

    assert events == [UnsubscribedFrom(subscriber_id=SAM, birthing_person_id=BEA)]
    after = given(SAM_REGISTERED, SubscribedTo(SAM, BEA), SubscribedTo(SAM, ROSA), *events)
    assert after is not None
    assert after.subscribed_to == {ROSA}


def test_unsubscribing_from_someone_not_followed_is_refused() -> None:
    assert rejection(given(SAM_REGISTERED), UnsubscribeFrom(BEA)) == (ErrorKind.INVALID, "not_subscribed")


def test_unsubscribing_twice_is_refused() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, BEA), UnsubscribedFrom(SAM, BEA))

    assert rejection(state, UnsubscribeFrom(BEA)) == (ErrorKind.INVALID, "not_subscribed")


def test_a_subscriber_can_resubscribe_after_unsubscribing() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, BEA), UnsubscribedFrom(SAM, BEA))

    assert decide(state, SubscribeTo(BEA), now=NOW) == [SubscribedTo(SAM, BEA)]


# Someone who never registered


@pytest.mark.parametrize(
    "command",
    [
        UpdateContactMethods(frozenset({SMS})),
        SubscribeTo(BEA),
        UnsubscribeFrom(BEA),
        SetSubscriptionContactMethods(BEA, frozenset({SMS})),
    ],
    ids=lambda command: command.TYPE,
)
def test_anything_but_registering_on_an_unregistered_subscriber_is_not_found(
    command: SubscriberCommand,
) -> None:
    assert rejection(None, command) == (ErrorKind.NOT_FOUND, "subscriber_not_found")


def test_the_domain_error_carries_a_human_sentence() -> None:
    with pytest.raises(DomainError) as raised:
        decide(None, SubscribeTo(BEA), now=NOW)

    assert raised.value.description == "You have not registered as a subscriber."


# State is a value


def test_evolving_never_changes_the_state_it_was_given() -> None:
    before = given(SAM_REGISTERED)
    assert before is not None

    after = evolve(before, SubscribedTo(SAM, BEA))

    assert before.subscribed_to == frozenset()
    assert after.subscribed_to == {BEA}


def test_a_subscriber_state_cannot_be_changed_in_place() -> None:
    state = given(SAM_REGISTERED)
    assert state is not None

    with pytest.raises(FrozenInstanceError):
        state.first_name = "Samuel"  # type: ignore[misc]


def test_nothing_happened_means_no_subscriber() -> None:
    assert replay(()) is None


def test_an_event_for_an_unregistered_subscriber_cannot_be_applied() -> None:
    with pytest.raises(DomainError) as raised:
        evolve(None, SubscribedTo(SAM, BEA))

    assert raised.value.code == "subscriber_not_found"


# Names on the wire


def test_every_command_is_found_by_its_type() -> None:
    expected = {
        "subscriber.register": RegisterSubscriber,
        "subscriber.update_contact_methods": UpdateContactMethods,
        "subscriber.subscribe_to": SubscribeTo,
        "subscriber.unsubscribe_from": UnsubscribeFrom,
        "subscriber.request_confirmation_code": RequestConfirmationCode,
        "subscriber.confirm_contact": ConfirmContact,
        "subscriber.erase": EraseSubscriber,
        "subscriber.forget_birthing_person": ForgetBirthingPerson,
        "subscriber.set_subscription_contact_methods": SetSubscriptionContactMethods,
    }

    assert expected == COMMAND_TYPES


def test_every_event_is_found_by_its_type() -> None:
    expected = {
        "subscriber.registered": SubscriberRegistered,
        "subscriber.contact_methods_updated": ContactMethodsUpdated,
        "subscriber.subscribed_to": SubscribedTo,
        "subscriber.unsubscribed_from": UnsubscribedFrom,
        "subscriber.confirmation_code_sent": ConfirmationCodeSent,
        "subscriber.contact_confirmed": ContactConfirmed,
        "subscriber.birthing_person_forgotten": BirthingPersonForgotten,
        "subscriber.erased": SubscriberErased,
        "subscriber.subscription_contact_methods_set": SubscriptionContactMethodsSet,
    }

    assert expected == EVENT_TYPES


def test_contact_methods_are_spelled_as_the_api_spells_them() -> None:
    assert {method.value for method in ContactMethod} == {"sms", "email"}
    assert ContactMethod("sms") is SMS
