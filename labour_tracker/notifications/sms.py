"""SMS through Twilio's official SDK (its asyncio client, so the event loop never blocks), or a local outbox.

Without credentials every SMS is appended to a JSON-lines outbox file and logged, so that a local stack sends
nothing and fails nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from labour_tracker.domain.notification import code_text, sms_text
from labour_tracker.notifications.channel import DeliveryUnknown, Outgoing, Permanent, SendFailed, Transient

log = logging.getLogger(__name__)
logging.getLogger("twilio").setLevel(logging.WARNING)  # its INFO lines repeat every request: not for our log

REQUEST_TIMEOUT = 10.0  # seconds; a call that takes longer counts as a transient failure

# Twilio error codes a retry cannot cure, named without quoting Twilio's message (which repeats the number).
KNOWN_REFUSALS = {
    20003: "authentication failed",
    21211: "invalid phone number",
    21408: "not permitted to send to this region",
    21610: "the recipient has opted out",
    21612: "cannot route to this number",
    21614: "not a mobile number",
}

INTERRUPTED = "delivery unknown: interrupted while sending; not sent again, so that it is sent at most once"


def classify(status: int, code: int | None) -> SendFailed:
    """Twilio's answer as a failure: 429 and 5xx are worth a retry; any other refusal is final."""
    what = KNOWN_REFUSALS.get(code or 0, "refused")
    reason = f"Twilio error {code}: {what} (HTTP {status})" if code else f"Twilio answered HTTP {status}"
    if status == 429 or status >= 500:
        return Transient(reason)
    return Permanent(reason)


class TwilioSms:
    """Sends through Twilio's Messages API; one HTTP connection pool for the worker's life."""

    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, api_url: str, status_callback_url: str | None = None
    ) -> None:
        self._from = from_number
        self._status_callback_url = status_callback_url
        self._http = AsyncTwilioHttpClient()
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._client.api.base_url = api_url.rstrip("/")  # the SDK's own domain object: tests point it elsewhere

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                created = await self._client.messages.create_async(
                    to=message.destination, from_=self._from, body=sms_body(message), **self._reports(message)
                )
        except (TwilioRestException, TwilioServiceException) as error:
            raise classify(error.status, error.code) from None
        except TimeoutError:
            raise Transient(f"Twilio did not answer within {REQUEST_TIMEOUT:g} s") from None
        except aiohttp.ClientError as error:
            raise Transient(f"cannot reach Twilio: {type(error).__name__}") from None
        log.info("SMS %s accepted by Twilio as %s", message.notification_id, created.sid)
        return str(created.sid)

    def _reports(self, message: Outgoing) -> dict[str, str]:
        """Where Twilio is to report on the message: the status callback, with the notification's id in its query,
        so that the report reaches the partition of the notification's record."""
        if not self._status_callback_url:
            return {}
        return {"status_callback": status_callback(self._status_callback_url, message.notification_id)}

    async def delivered_before(self, message: Outgoing) -> str | None:
        # Twilio takes no idempotency key, so a message it may have accepted cannot be told from one it has not.
        raise DeliveryUnknown(INTERRUPTED)

    async def settled(self, notification_id: str) -> None:
        return None

    async def close(self) -> None:
        await self._http.close()


class SmsOutbox:
    """Appends each SMS as one JSON line to a local file (for local use: it holds the number and the text)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        line = json.dumps(
            {
                "id": message.notification_id,
                "to": message.destination,
                "body": sms_body(message),
                "time": now.isoformat(),
            }
        )
        await asyncio.to_thread(self._append, line)
        log.info("SMS %s written to the outbox", message.notification_id)
        return f"outbox:{message.notification_id}"

    def _append(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")

    async def delivered_before(self, message: Outgoing) -> str | None:
        raise DeliveryUnknown(INTERRUPTED)

    async def settled(self, notification_id: str) -> None:
        return None

    async def close(self) -> None:
        return None


NOTIFICATION_PARAMETER = "notification"  # the status callback's query parameter naming the notification


def status_callback(base_url: str, notification_id: str) -> str:
    return f"{base_url}?{urlencode({NOTIFICATION_PARAMETER: notification_id})}"


def sms_body(message: Outgoing) -> str:
    if message.code:
        return code_text(message.code)
    return sms_text(message.event_type, message.names, message.note, message.moment)
