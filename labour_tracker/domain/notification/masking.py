"""Where a notification went, told without giving it away: a phone number's country code and last digits, an
address's first letter and domain. Kept after the destination itself is cleared, so a person can see where each
message went and a subscriber can recognise their own number, while no one reads the number from a list."""

from __future__ import annotations

from typing import Final

from labour_tracker.domain.subscriber.model import ContactMethod

HIDDEN: Final = "•"
NOTHING_SHOWN: Final = HIDDEN * 3  # a destination too short or too odd to show any of it safely
# The ITU's two-digit country calling codes; the other codes are one digit (1 and 7) or three, and no code is the
# start of another, so the first digits of an international number say where its country code ends.
TWO_DIGIT_CODES: Final[frozenset[str]] = frozenset(
    {
        "20",
        "27",
        "30",
        "31",
        "32",
        "33",
        "34",
        "36",
        "39",
        "40",
        "41",
        "43",
        "44",
        "45",
        "46",
        "47",
        "48",
        "49",
        "51",
        "52",
        "53",
        "54",
        "55",
        "56",
        "57",
        "58",
        "60",
        "61",
        "62",
        "63",
        "64",
        "65",
        "66",
        "81",
        "82",
        "84",
        "86",
        "90",
        "91",
        "92",
        "93",
        "94",
        "95",
        "98",
    }
)
LAST_DIGITS: Final = 3  # shown at the end of a number
FEWEST_HIDDEN: Final = 4  # digits always hidden: a short number shows fewer of its last digits, or none


def mask(channel: ContactMethod, destination: str) -> str:
    """The masked form of a phone number (`+44•••••••123`) or an email address (`s•••@example.org`)."""
    if channel is ContactMethod.SMS:
        return mask_phone_number(destination)
    return mask_email_address(destination)


def country_code(digits: str) -> str:
    """The country calling code an international number's digits start with."""
    if digits[:1] in ("1", "7"):
        return digits[:1]
    return digits[:2] if digits[:2] in TWO_DIGIT_CODES else digits[:3]


def mask_phone_number(number: str) -> str:
    digits = "".join(char for char in number if char.isdigit())
    international = number.strip().startswith("+")
    code = country_code(digits) if international else ""
    rest = digits[len(code) :]
    shown = min(LAST_DIGITS, max(0, len(rest) - FEWEST_HIDDEN))
    if len(rest) < FEWEST_HIDDEN:
        return NOTHING_SHOWN  # a number this short would be all but given away
    prefix = f"+{code}" if international else ""
    return f"{prefix}{HIDDEN * (len(rest) - shown)}{rest[len(rest) - shown :] if shown else ''}"


def mask_email_address(address: str) -> str:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return NOTHING_SHOWN
    first = local[0] if len(local) >= 3 else ""  # a one- or two-letter name would be half given away
    return f"{first}{NOTHING_SHOWN}@{domain.casefold()}"
