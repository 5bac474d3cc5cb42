"""Twilio answers 503 during steady load, then cannot be reached at all, then is back: commands go on and the
worker stays ready meanwhile, each SMS waits for it, and once it is back every subscriber has each SMS once, with
nothing acknowledged lost or doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from tests.fakes.twilio_api import FakeTwilio
from tests.support.load import UnderLoad
from tests.support.notifications import NotifyingDeployment, eventually
from tests.support.servers import serving

ANSWERING_503 = 3.0  # seconds Twilio answers every request 503, from the first one
UNREACHABLE = 3.0  # seconds after that its port is closed


@dataclass
class FailingTwilio(FakeTwilio):
    """The fake Twilio, answering every request 503 for as long as `unavailable` is set."""

    unavailable: bool = False

    async def _create_message(self, request: web.Request) -> web.Response:
        if self.unavailable:
            self.fail_next(1, 503)
        return await super()._create_message(request)


@pytest.fixture(scope="module")
def twilio() -> Iterator[FailingTwilio]:
    with serving(FailingTwilio()) as server:
        yield server


async def test_a_twilio_outage_under_load_delays_each_sms_and_loses_or_doubles_none(
    notifying: NotifyingDeployment, twilio: FailingTwilio
) -> None:
    async with UnderLoad(notifying) as fault:
        twilio.unavailable = True
        down = time.monotonic()
        await fault.begin_labours()
        await eventually(lambda: any(each.status == 503 for each in twilio.received), what="an SMS refused")
        await asyncio.sleep(ANSWERING_503)
        await asyncio.to_thread(twilio.stop)
        await fault.load.everyone_acknowledged_again()  # commands go on
        await asyncio.sleep(UNREACHABLE)
        assert twilio.delivered() == [], "no SMS while it is down"
        assert await fault.ready(), "readiness does not depend on Twilio"
        twilio.unavailable = False
        await asyncio.to_thread(twilio.start)
        back = time.monotonic()
        await eventually(lambda: fault.sms_told("labour.begun"), what="the SMS held back")
        texted = time.monotonic() - back
        await fault.complete_labours()
        notifications = await fault.afterwards()
        refused = sum(each.status == 503 for each in twilio.received)
        print(f"recovery: every SMS held back was delivered {texted:.1f} s after Twilio was back"
              f" ({back - down:.1f} s down: {refused} requests answered 503, then unreachable)")  # fmt: skip
    assert max(fault.attempts(notifications, "labour.begun", "sms")) > 1, "an SMS was tried while it was down"
