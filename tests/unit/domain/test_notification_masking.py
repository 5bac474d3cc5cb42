"""Where a notification went, masked: enough to recognise one's own number or address, never enough to read it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain.notification.masking import mask, mask_email_address, mask_phone_number
from labour_tracker.domain.subscriber.model import ContactMethod


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+447700900123", "+44•••••••123"),  # a UK mobile: the country code and the last 3 digits
        ("+44 7700 900-123", "+44•••••••123"),  # spaces and dashes are spelling, not digits
        ("+15005550006", "+1•••••••006"),  # a one-digit country code
        ("+79161234567", "+7•••••••567"),
        ("+353851234567", "+353••••••567"),  # a three-digit country code
        ("+27821234567", "+27••••••567"),
        ("07700900123", "••••••••123"),  # no country code given: none shown
        ("+441234", "+44••••"),  # four digits after the code: all hidden, as four always are
        ("+4412345", "+44••••5"),  # a short number shows fewer of its last digits
        ("+44123456", "+44••••56"),
        ("+441234567", "+44••••567"),
        ("+44123", "•••"),  # too short to show anything of it
        ("", "•••"),
        ("not a number", "•••"),
    ],
)
def test_a_phone_number_shows_its_country_code_and_last_three_digits_when_long_enough(number: str, masked: str) -> None:
    assert mask_phone_number(number) == masked
    assert mask(ContactMethod.SMS, number) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("sam@example.org", "s•••@example.org"),
        ("Samantha.Jones@Example.ORG", "S•••@example.org"),  # the name's length is not given away
        ("jo@example.org", "•••@example.org"),  # a two-letter name would be half given away
        ("j@example.org", "•••@example.org"),
        ('"odd@name"@example.org', '"•••@example.org'),  # the last @ splits name from domain
        ("no-at-sign", "•••"),
        ("@example.org", "•••"),
        ("sam@", "•••"),
        ("", "•••"),
    ],
)
def test_an_address_shows_its_first_letter_and_its_domain(address: str, masked: str) -> None:
    assert mask_email_address(address) == masked
    assert mask(ContactMethod.EMAIL, address) == masked


@given(st.from_regex(r"\+?[0-9]{4,15}", fullmatch=True))
def test_a_masked_number_never_shows_more_than_its_country_code_and_three_digits(number: str) -> None:
    masked = mask_phone_number(number)
    digits_shown = sum(char.isdigit() for char in masked)
    assert digits_shown <= 3 + 3
    assert masked.count("•") >= 3


@given(st.emails())
def test_a_masked_address_never_shows_more_than_one_letter_of_the_name(address: str) -> None:
    masked = mask_email_address(address)
    name = masked.rpartition("@")[0]
    assert name.replace("•••", "") in ("", address[0])
