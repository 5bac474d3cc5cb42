"""The SMS channel through the real Twilio SDK, against a local server speaking Twilio's Messages API."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labour_tracker.domain.notification import Names, sms_text
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.notifications import sms
from labour_tracker.notifications.channel import DeliveryUnknown, Outgoing, Permanent, Transient
from labour_tracker.notifications.sms import SmsOutbox, TwilioSms
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SAM = "+447700900123"


def outgoing(number: str = SAM, notification_id: str = "n-1", event_type: str = "labour.begun") -> Outgoing:
    return Outgoing(
        notification_id=notification_id,
        channel=ContactMethod.SMS,
        destination=number,
        event_type=event_type,
        event_time=NOW,
        names=Names("Sam", "Bea", "Moyo"),
        subscriber_full_name="Sam Lee",
    )


@pytest.fixture
async def channel(twilio_api: FakeTwilio) -> TwilioSms:
    return TwilioSms(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio_api.url)


async def test_an_sms_reaches_twilio_with_the_number_sender_and_text_and_returns_its_sid(
    channel: TwilioSms, twilio_api: FakeTwilio
) -> None:
    before = len(twilio_api.received)
    sid = await channel.send(outgoing(event_type="labour.hospital_recommended"), now=NOW)
    await channel.close()
    (request,) = twilio_api.received[before:]
    assert (request.to, request.from_, request.status, request.sid) == (SAM, FROM_NUMBER, 201, sid)
    assert request.body == "Sam, it's time to take Bea Moyo to the hospital"
    assert sid.startswith("SM")


async def test_rate_limits_and_server_errors_are_transient(channel: TwilioSms, twilio_api: FakeTwilio) -> None:
    twilio_api.fail_next(1, 429)
    twilio_api.fail_next(1, 500)
    with pytest.raises(Transient, match="HTTP 429"):
        await channel.send(outgoing(), now=NOW)
    with pytest.raises(Transient, match="HTTP 500"):
        await channel.send(outgoing(), now=NOW)
    assert (await channel.send(outgoing(), now=NOW)).startswith("SM")
    await channel.close()


async def test_an_invalid_number_fails_at_once_and_the_reason_does_not_repeat_it(
    channel: TwilioSms, twilio_api: FakeTwilio
) -> None:
    twilio_api.reject_number("+15005550001")
    with pytest.raises(Permanent) as refused:
        await channel.send(outgoing("+15005550001"), now=NOW)
    await channel.close()
    assert refused.value.reason == "Twilio error 21211: invalid phone number (HTTP 400)"
    assert "5550001" not in refused.value.reason


async def test_a_wrong_token_is_permanent(twilio_api: FakeTwilio) -> None:
    wrong = TwilioSms(ACCOUNT_SID, "not-the-token", FROM_NUMBER, twilio_api.url)
    with pytest.raises(Permanent, match="20003"):
        await wrong.send(outgoing(), now=NOW)
    await wrong.close()


async def test_no_answer_in_time_and_no_server_at_all_are_transient(
    channel: TwilioSms, twilio_api: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms, "REQUEST_TIMEOUT", 0.2)
    twilio_api.stall_next(1, 1.0)
    with pytest.raises(Transient, match="did not answer"):
        await channel.send(outgoing(), now=NOW)
    await channel.close()
    nobody = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, "http://127.0.0.1:9")
    with pytest.raises(Transient, match="cannot reach Twilio"):
        await nobody.send(outgoing(), now=NOW)
    await nobody.close()


async def test_an_interrupted_sms_is_never_sent_again(channel: TwilioSms) -> None:
    with pytest.raises(DeliveryUnknown, match="at most once"):
        await channel.delivered_before(outgoing())
    await channel.close()


async def test_without_credentials_sms_go_to_the_outbox_and_the_log_names_only_the_notification(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = SmsOutbox(tmp_path / "sms.jsonl")
    with caplog.at_level(logging.INFO, logger=sms.__name__):
        first = await outbox.send(outgoing(notification_id="n-1"), now=NOW)
        await outbox.send(outgoing(notification_id="n-2", event_type="labour.completed"), now=NOW)
    lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert first == "outbox:n-1"
    assert [(each["id"], each["to"], each["body"]) for each in lines] == [
        ("n-1", SAM, sms_text("labour.begun", Names("Sam", "Bea", "Moyo"))),
        ("n-2", SAM, "Hey Sam, Bea Moyo has completed labour"),
    ]
    assert "SMS n-1 written to the outbox" in caplog.text
    assert not [each for each in ("Sam", "Moyo", SAM, "123") if each in caplog.text], caplog.text
