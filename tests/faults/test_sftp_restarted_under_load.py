"""Stop the SFTP server (the mail relay's pickup host) during steady load and start it again: commands go on and
the worker stays ready while it is away, each email waits for it, and once it is back every subscriber has each
email once, with nothing acknowledged lost or doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from labour_tracker.devstack.sftp import SftpServer
from tests.support.load import UnderLoad
from tests.support.notifications import NotifyingDeployment, emails_to, eventually
from tests.support.servers import own_server

AWAY = 5.0  # seconds the SFTP server is stopped


@pytest.fixture(scope="module")
def relay() -> Iterator[SftpServer]:
    """An SFTP server of this module's own, to stop."""
    with own_server(SftpServer, "sftp") as server:
        yield server


async def test_an_sftp_restart_under_load_delays_each_email_and_loses_or_doubles_none(
    notifying: NotifyingDeployment, relay: SftpServer
) -> None:
    async with UnderLoad(notifying) as fault:
        await asyncio.to_thread(relay.stop)
        stopped = time.monotonic()
        await fault.begin_labours()
        await fault.load.everyone_acknowledged_again()  # commands go on
        await asyncio.sleep(max(0.0, AWAY - (time.monotonic() - stopped)))
        assert all(emails_to(relay, each.fan.email) == [] for each in fault.followed), "no relay, no email"
        assert await fault.ready(), "readiness does not depend on the mail relay"
        await asyncio.to_thread(relay.start)
        back = time.monotonic()
        await eventually(lambda: fault.email_told("labour.begun"), what="the emails held back")
        emailed = time.monotonic() - back
        await fault.complete_labours()
        notifications = await fault.afterwards()
        print(f"recovery: every email held back was delivered {emailed:.1f} s after the SFTP server was back"
              f" ({back - stopped:.1f} s away)")  # fmt: skip
    assert max(fault.attempts(notifications, "labour.begun", "email")) > 1, "an email was tried while it was away"
