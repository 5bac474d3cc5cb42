"""The channel each contact method uses, as the settings choose: real providers when configured, outboxes if not."""

from __future__ import annotations

import logging

from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.notifications.channel import Channel
from labour_tracker.notifications.mail_drop import MailOutbox, SftpLogin, SftpMailDrop
from labour_tracker.notifications.sms import SmsOutbox, TwilioSms
from labour_tracker.settings import Settings

log = logging.getLogger(__name__)


def open_channels(settings: Settings) -> dict[ContactMethod, Channel]:
    return {ContactMethod.SMS: _sms(settings), ContactMethod.EMAIL: _email(settings)}


def _sms(settings: Settings) -> Channel:
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        log.info("SMS go through Twilio at %s", settings.twilio_api_url)
        return TwilioSms(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from_number,
            settings.twilio_api_url,
            settings.twilio_status_callback_url,
        )
    log.info("no Twilio credentials: SMS go to %s", settings.sms_outbox)
    return SmsOutbox(settings.sms_outbox)


def _email(settings: Settings) -> Channel:
    if settings.sftp_host and settings.sftp_username:
        log.info("emails go to %s:%s/%s", settings.sftp_host, settings.sftp_port, settings.sftp_drop_dir)
        login = SftpLogin(
            host=settings.sftp_host,
            port=settings.sftp_port,
            username=settings.sftp_username,
            password=settings.sftp_password.get_secret_value() if settings.sftp_password else None,
            client_key=settings.sftp_client_key,
            known_hosts=settings.sftp_known_hosts,
        )
        return SftpMailDrop(login, settings.sftp_drop_dir, settings.email_from)
    log.info("no SFTP host: emails go to %s", settings.mail_outbox)
    return MailOutbox(settings.mail_outbox, settings.email_from)
