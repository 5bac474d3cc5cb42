"""The channels the settings open: local outboxes without providers, Twilio and SFTP with them."""

from __future__ import annotations

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
