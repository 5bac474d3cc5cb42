"""How many SMS segments a text takes, counted as phones count them."""

from __future__ import annotations

from typing import Final

# The GSM 03.38 basic character set; `^{}\[~]|€` are in its extension table and take two septets each.
GSM_BASIC: Final[frozenset[str]] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED: Final[frozenset[str]] = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """How many SMS segments `text` takes: GSM-7 (160, or 153 each when split) or UCS-2 (70, or 67 each)."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in text):
        units, single, each = sum(2 if char in GSM_EXTENDED else 1 for char in text), 160, 153
    else:
        units, single, each = sum(2 if ord(char) > 0xFFFF else 1 for char in text), 70, 67
    return 1 if units <= single else -(-units // each)
