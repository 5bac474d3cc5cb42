"""Twilio's delivery status callback: a public webhook, authenticated by Twilio's signature, not by a bearer token.

Twilio signs each callback (`X-Twilio-Signature`: HMAC-SHA1 with the account's auth token over the URL it called and
the form fields). The URL is the public one Twilio was given (`LABOUR_TRACKER_TWILIO_STATUS_CALLBACK_URL`) with the
query the worker received, not the worker's own address behind the proxy. A signed report is handed, as a message
on `notifications.reports` keyed by the notification id in the query, to the agent that owns the notification's
record; this view never writes a status itself.

An unsigned or wrongly signed callback is refused (403) and changes nothing. A signed one is answered 204 as soon as
the broker has it, whether or not the notification exists: the view does not wait for the record's owner, and a
notification erased since it was sent (its subscriber deleted their account) is no error Twilio should retry or
log. The owner ignores a report on a notification it does not hold, or about another message than the one the
record holds.
"""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import SETTINGS
from labour_tracker.http.ports import SENDER, NotSent
from labour_tracker.messages.notifications import NotificationReport
from labour_tracker.notifications.sms import NOTIFICATION_PARAMETER
from labour_tracker.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_TYPE = "application/x-www-form-urlencoded"
NOT_SIGNED = ApiError(403, "invalid_signature", "The request does not carry Twilio's valid signature.")


def signed_by_twilio(settings: Settings, query_string: str, form: dict[str, str], signature: str) -> bool:
    """Whether `signature` is Twilio's for the public URL with this query and these form fields."""
    if not (settings.twilio_status_callback_url and settings.twilio_auth_token and signature):
        return False
    url = settings.twilio_status_callback_url + (f"?{query_string}" if query_string else "")
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    return bool(validator.validate(url, form, signature))


async def twilio_status(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if request.content_type != FORM_TYPE:  # Twilio posts a plain form, and signs its fields
        raise ApiError(415, "unsupported_media_type", f"A status callback is posted as {FORM_TYPE}.")
    try:
        posted = await request.post()
    except ValueError:
        raise ApiError(400, "bad_request", "The form could not be read.") from None
    form = {name: value for name, value in posted.items() if isinstance(value, str)}
    if not signed_by_twilio(settings, request.query_string, form, request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("a status callback without Twilio's valid signature was refused")
        raise NOT_SIGNED
    try:
        report = NotificationReport(
            notification_id=request.query.get(NOTIFICATION_PARAMETER, ""),
            provider_id=form.get("MessageSid", ""),
            provider_status=form.get("MessageStatus", ""),
        )
    except ValidationError:
        raise ApiError(
            400, "invalid_status_callback", "A status callback names its notification, MessageSid and MessageStatus."
        ) from None
    try:
        await request.app[SENDER].report(report.notification_id, report.model_dump_json().encode())
    except NotSent:
        raise ApiError(503, "kafka_unavailable", "The report could not be taken; try again.") from None
    return web.Response(status=204)
