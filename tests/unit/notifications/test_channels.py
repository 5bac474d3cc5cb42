"""Channel settings: incomplete ones stop the worker with one line naming the variables; none means outboxes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.notifications.channels import open_channels
from labour_tracker.notifications.mail_drop import MailOutbox, SftpMailDrop
from labour_tracker.notifications.sms import SmsOutbox, TwilioSms
from labour_tracker.settings import Settings


def test_without_providers_both_channels_are_local_outboxes() -> None:
    channels = open_channels(Settings())
    assert isinstance(channels[ContactMethod.SMS], SmsOutbox)
    assert isinstance(channels[ContactMethod.EMAIL], MailOutbox)


async def test_complete_settings_choose_twilio_and_sftp_and_keep_the_secrets_out_of_their_repr() -> None:
    settings = Settings(
        twilio_account_sid="AC1",
        twilio_auth_token="secret-token",
        twilio_from_number="+15005550006",
        sftp_host="relay.example.org",
        sftp_username="relay",
        sftp_password="secret-password",
    )
    channels = open_channels(settings)
    assert isinstance(channels[ContactMethod.SMS], TwilioSms)
    assert isinstance(channels[ContactMethod.EMAIL], SftpMailDrop)
    assert "secret-token" not in repr(settings) and "secret-password" not in repr(settings)
    for channel in channels.values():
        await channel.close()


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"twilio_account_sid": "AC1"}, "TWILIO_ACCOUNT_SID needs"),
        ({"sftp_host": "relay", "sftp_password": "x"}, "SFTP_HOST needs LABOUR_TRACKER_SFTP_USERNAME"),
        ({"sftp_host": "relay", "sftp_username": "relay"}, "SFTP_PASSWORD or LABOUR_TRACKER_SFTP_CLIENT_KEY"),
    ],
)
def test_incomplete_channel_settings_are_refused(settings: dict[str, str], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(**settings)  # type: ignore[arg-type]


def test_the_worker_names_the_missing_variables_on_one_line() -> None:
    env = {**os.environ, "LABOUR_TRACKER_SFTP_HOST": "relay.example.org"}
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "labour-tracker: LABOUR_TRACKER_SFTP_HOST needs LABOUR_TRACKER_SFTP_USERNAME too"
