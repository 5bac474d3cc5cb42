"""Twilio's status callback is taken only with Twilio's signature over the public URL it was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from labour_tracker.http.provider_reports import signed_by_twilio
from labour_tracker.settings import Settings

PUBLIC = "https://labour.example.org/api/v1/twilio/status"
TOKEN = "an-auth-token"
FORM = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
QUERY = "notification=n-1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        local_signing_key=tmp_path / "key.pem", oidc_issuer=None, twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN, twilio_from_number="+15005550006", twilio_status_callback_url=PUBLIC,
    )  # fmt: skip


def signature(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, form))


def test_a_report_signed_over_the_public_url_with_its_query_is_taken(settings: Settings) -> None:
    assert signed_by_twilio(settings, QUERY, FORM, signature(f"{PUBLIC}?{QUERY}", FORM))


@pytest.mark.parametrize(
    "forged",
    [
        "",  # unsigned
        signature(f"{PUBLIC}?{QUERY}", FORM, token="another-token"),  # someone else's token
        signature(f"{PUBLIC}?notification=n-2", FORM),  # signed for another notification
        signature(f"{PUBLIC}?{QUERY}", FORM | {"MessageStatus": "undelivered"}),  # the form changed since
        signature(f"http://127.0.0.1:8000/api/v1/twilio/status?{QUERY}", FORM),  # the worker's address, not Twilio's
    ],
)
def test_anything_else_is_refused(settings: Settings, forged: str) -> None:
    assert not signed_by_twilio(settings, QUERY, FORM, forged)


def test_without_the_public_url_or_the_token_every_report_is_refused(settings: Settings) -> None:
    valid = signature(f"{PUBLIC}?{QUERY}", FORM)
    assert not signed_by_twilio(settings.model_copy(update={"twilio_status_callback_url": None}), QUERY, FORM, valid)
    assert not signed_by_twilio(settings.model_copy(update={"twilio_auth_token": None}), QUERY, FORM, valid)


def test_the_public_url_setting_takes_no_query(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="twilio_status_callback_url"):
        Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None, twilio_status_callback_url=f"{PUBLIC}?x=1")
