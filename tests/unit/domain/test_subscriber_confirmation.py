"""A destination is used only once confirmed: by the issuer at registration, or by a one-time code the service
sends there and the subscriber enters within ten minutes. Codes are capped at three an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.subscriber import (
    CODE_DIGITS,
    CODE_LIFETIME,
    ConfirmationCodeSent,
    ConfirmContact,
    ContactConfirmed,
    ContactMethod,
    RegisterSubscriber,
    RequestConfirmationCode,
    Subscriber,
    SubscriberCommand,
    SubscriberEvent,
    SubscriberRegistered,
    confirmation_code,
    decide,
    evolve,
    replay,
)

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SECRET = b"a-server-secret-of-at-least-32-bytes!"
SMS, EMAIL = ContactMethod.SMS, ContactMethod.EMAIL


class Subscribing:
    """Commands applied one after another, each with the next command id."""

    def __init__(self, *, verified: frozenset[ContactMethod] = frozenset()) -> None:
        self.state: Subscriber | None = None
        self.sent = 0
        self.do(RegisterSubscriber("sam", "Sam", "Lee", "+447700900123", "sam@example.org", frozenset({SMS}), verified))

    def do(self, command: SubscriberCommand, now: datetime = NOW) -> list[SubscriberEvent]:
        self.sent += 1
        events = decide(self.state, command, now=now, command_id=f"c{self.sent}", secret=SECRET)
        for event in events:
            self.state = evolve(self.state, event)
        return events

    def refusal(self, command: SubscriberCommand, now: datetime = NOW) -> DomainError:
        with pytest.raises(DomainError) as refused:
            self.do(command, now)
        return refused.value

    @property
    def subscriber(self) -> Subscriber:
        assert self.state is not None
        return self.state

    def code_of_last_command(self) -> str:
        return confirmation_code(SECRET, "sam", f"c{self.sent}")


def test_destinations_the_issuer_verified_are_confirmed_at_registration() -> None:
    assert Subscribing(verified=frozenset({SMS, EMAIL})).subscriber.confirmed == {SMS, EMAIL}
    assert Subscribing().subscriber.confirmed == frozenset()


def test_a_code_sent_and_entered_in_time_confirms_the_channel() -> None:
    sam = Subscribing()
    [sent] = sam.do(RequestConfirmationCode(SMS))
    code = sam.code_of_last_command()

    assert isinstance(sent, ConfirmationCodeSent) and code not in repr(sent), "the event keeps a digest only"
    assert len(code) == CODE_DIGITS and code.isdigit()
    assert sam.do(ConfirmContact(SMS, f" {code} "), NOW + CODE_LIFETIME) == [ContactConfirmed("sam", SMS)]
    assert sam.subscriber.confirmed == {SMS} and sam.subscriber.confirmation is None
    assert sam.do(ConfirmContact(SMS, code)) == [], "confirming again changes nothing"


@pytest.mark.parametrize(
    ("entered", "channel", "late"),
    [("00000000", SMS, timedelta()), (None, EMAIL, timedelta()), (None, SMS, CODE_LIFETIME + timedelta(seconds=1))],
    ids=["wrong code", "other channel", "expired"],
)
def test_a_wrong_expired_or_misdirected_code_confirms_nothing(
    entered: str | None, channel: ContactMethod, late: timedelta
) -> None:
    sam = Subscribing()
    sam.do(RequestConfirmationCode(SMS))
    code = entered or sam.code_of_last_command()

    refusal = sam.refusal(ConfirmContact(channel, code), NOW + late)

    assert (refusal.kind, refusal.code) == (ErrorKind.INVALID, "invalid_confirmation_code")
    assert sam.subscriber.confirmed == frozenset()


def test_only_the_latest_code_counts() -> None:
    sam = Subscribing()
    sam.do(RequestConfirmationCode(SMS))
    first = sam.code_of_last_command()
    sam.do(RequestConfirmationCode(SMS), NOW + timedelta(minutes=1))
    latest = sam.code_of_last_command()

    assert sam.refusal(ConfirmContact(SMS, first)).code == "invalid_confirmation_code"
    assert sam.do(ConfirmContact(SMS, latest)) == [ContactConfirmed("sam", SMS)]


def test_three_codes_an_hour_then_429_until_the_first_is_an_hour_old() -> None:
    sam = Subscribing()
    for minute in range(3):
        sam.do(RequestConfirmationCode(SMS), NOW + timedelta(minutes=minute))

    refusal = sam.refusal(RequestConfirmationCode(SMS), NOW + timedelta(minutes=10))

    assert (refusal.kind, refusal.code, refusal.retry_after) == (
        ErrorKind.TOO_MANY,
        "confirmation_codes_limit_reached",
        50 * 60,
    )
    assert sam.do(RequestConfirmationCode(SMS), NOW + timedelta(hours=1, seconds=1))


def test_no_code_for_a_channel_without_a_destination_or_already_confirmed() -> None:
    sam = Subscribing(verified=frozenset({SMS}))
    assert sam.refusal(RequestConfirmationCode(SMS)).code == "already_confirmed"
    no_email = Subscribing()
    no_email.state = Subscriber("sam", "Sam", "Lee", "+447700900123", None, frozenset({SMS}))
    assert no_email.refusal(RequestConfirmationCode(EMAIL)).code == "no_destination"


def test_a_subscriber_registered_before_confirmation_keeps_every_destination_confirmed() -> None:
    before = SubscriberRegistered("sam", "Sam", "Lee", "+447700900123", "sam@example.org", frozenset({SMS}))
    assert (replayed := replay([before])) is not None and replayed.confirmed == {SMS, EMAIL}


def test_codes_differ_by_command_and_need_the_secret() -> None:
    assert confirmation_code(SECRET, "sam", "c1") != confirmation_code(SECRET, "sam", "c2")
    assert confirmation_code(SECRET, "sam", "c1") != confirmation_code(SECRET + b"x", "sam", "c1")
    with pytest.raises(ValueError):
        confirmation_code(b"", "sam", "c1")
