"""Notification fan-out: from `POST /labour/begin` to the last of N subscribers x 2 channels delivered.

`python -m bench.notifications` starts its own Kafka, PostgreSQL, SFTP server, fake Twilio and worker. Each round
begins a labour (and completes it: a second fan-out) for one person with N subscribers on SMS and email, and
times every notification from the request to its arrival (SMS at the fake Twilio, email as `<id>.eml` in the
pickup folder). Baseline, in the same run: the same number of emails uploaded straight to the SFTP server with the
worker's own channel, one after another, without Kafka. Figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.harness import Latencies, bench_worker, report, servers, stack_directory
from labour_tracker.devstack.sftp import DROP_DIRECTORY, USER, SftpServer
from labour_tracker.domain.limits import SUBSCRIBERS_PER_PERSON
from labour_tracker.domain.notification import Names
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key
from labour_tracker.notifications.channel import Outgoing
from labour_tracker.notifications.mail_drop import SftpLogin, SftpMailDrop
from tests.fakes.twilio_api import FakeTwilio


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str, key_file: Path) -> None:
        self.session, self.url, self.key = session, url, load_or_create_local_key(key_file)

    def token(self, sub: str, given_name: str, phone_number: str | None = None, email: str | None = None) -> str:
        return issue_local_token(
            self.key, audience="labour-tracker", sub=sub, given_name=given_name, family_name="Bench",
            phone_number=phone_number, email=email,
        )  # fmt: skip

    async def call(self, token: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.request(method, f"{self.url}/api/v1{path}", json=body, headers=headers) as answer:
            if answer.status >= 300:
                raise RuntimeError(f"{method} {path}: {answer.status} {(await answer.read())[:200]!r}")
            return await answer.json()


async def followed_person(api: Api, subscribers: int, run: str) -> tuple[str, list[str], list[str]]:
    """A registered person with `subscribers` followers on SMS and email; their token, numbers and addresses."""
    person = api.token(f"bench-person-{run}", given_name="Bea")
    await api.call(person, "POST", "/birthing-person/register")
    # Followers at once (friends and family): told that labour began and is complete, the fan-outs measured here.
    await api.call(person, "PUT", "/birthing-person/settings", {"approve_followers_at_once": True})
    share = (await api.call(person, "GET", "/birthing-person/subscription-token"))["token"]
    numbers = [f"+4479{run[:3].encode().hex()[:4]}{n:04d}" for n in range(subscribers)]
    addresses = [f"follower{n}-{run}@example.org" for n in range(subscribers)]
    sem = asyncio.Semaphore(32)

    async def follow(n: int) -> None:
        async with sem:
            token = api.token(f"bench-{run}-{n}", given_name=f"F{n}", phone_number=numbers[n], email=addresses[n])
            await api.call(token, "POST", "/subscriber/register", {"contact_methods": ["sms", "email"]})
            await api.call(token, "POST", f"/subscriber/subscribe_to/bench-person-{run}", {"token": share})

    await asyncio.gather(*(follow(n) for n in range(subscribers)))
    for _ in range(600):  # the person's side follows through the subscriptions processor
        if len((await api.call(person, "GET", "/birthing-person/"))["birthing_person"]["subscribers"]) >= subscribers:
            break
        await asyncio.sleep(0.1)
    return person, numbers, addresses


async def fan_out_round(
    api: Api,
    twilio: FakeTwilio,
    sftp: SftpServer,
    subscribers: int,
    command: tuple[str, str, Any],
    state: dict[str, Any],
) -> Latencies:
    person, numbers = state["person"], set(state["numbers"])
    before = {path.name for path in sftp.drop_directory.glob("*.eml")}
    sms_before = len(twilio.delivered())
    started = time.time()
    await api.call(person, *command)
    expected = 2 * subscribers
    deadline = time.monotonic() + 300
    while True:
        new_files = [p for p in sftp.drop_directory.glob("*.eml") if p.name not in before]
        new_sms = [each for each in twilio.delivered()[sms_before:] if each.to in numbers]
        if len(new_files) + len(new_sms) >= expected:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(new_files) + len(new_sms)} of {expected} notifications arrived")
        await asyncio.sleep(0.02)
    delivered = [each.at for each in new_sms] + [p.stat().st_mtime for p in new_files]
    return Latencies(samples=[moment - started for moment in delivered])


async def pipeline_figures(
    url: str, key_file: Path, twilio: FakeTwilio, sftp: SftpServer, *, subscribers: int, rounds: int
) -> dict[str, Any]:
    results: list[Latencies] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        api = Api(session, url, key_file)
        for number in range(rounds):
            run = uuid.uuid4().hex[:8]
            person, numbers, addresses = await followed_person(api, subscribers, run)
            state = {"person": person, "numbers": numbers, "addresses": addresses}
            for command in (("POST", "/labour/begin", {"first_labour": True}), ("PUT", "/labour/complete", {})):
                latency = await fan_out_round(api, twilio, sftp, subscribers, command, state)
                results.append(latency)
                print(f"round {number} {command[1]}: {latency.summary()} last {max(latency.samples):.2f} s", flush=True)
    return summarise(results)


async def baseline_figures(sftp: SftpServer, *, notifications: int, rounds: int) -> dict[str, Any]:
    """The same number of emails uploaded one after another over one SFTP session, without Kafka."""
    login = SftpLogin("127.0.0.1", sftp.port, USER, None, sftp.client_key, sftp.known_hosts)
    drop = SftpMailDrop(login, DROP_DIRECTORY, "Labour Tracker <notifications@labour-tracker.local>")
    results = []
    try:
        await drop.send(outgoing(0), now=datetime.now(UTC))  # connect outside the clock, as the worker has
        for _ in range(rounds * 2):
            started, samples = time.time(), []
            for n in range(notifications):
                message = outgoing(n)
                await drop.send(message, now=datetime.now(UTC))
                await drop.settled(message.notification_id)  # as the worker does once the outcome is recorded
                samples.append(time.time() - started)
            results.append(Latencies(samples=samples))
    finally:
        await drop.close()
    return summarise(results)


def outgoing(n: int) -> Outgoing:
    return Outgoing(
        notification_id=str(uuid.uuid4()),
        channel=ContactMethod.EMAIL,
        destination=f"follower{n}@example.org",
        event_type="labour.begun",
        event_time=datetime.now(UTC),
        names=Names(f"F{n}", "Bea", "Bench"),
        subscriber_full_name=f"F{n} Bench",
    )


def summarise(results: list[Latencies]) -> dict[str, Any]:
    return {
        "fan_outs": len(results),
        "notifications_each": len(results[0].samples),
        "p50_ms": round(statistics.median(each.percentile(50) for each in results), 1),
        "p99_ms": round(statistics.median(each.percentile(99) for each in results), 1),
        "total_ms": round(statistics.median(max(each.samples) * 1000 for each in results), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS_PER_PERSON.maximum, help="at most the limit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--messages-per-destination",
        type=int,
        default=0,
        help="LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR of the worker: 0 (no cap, as the other caps are here), "
        "or a cap, to time the counting too (each destination gets two messages a round, well under any cap)",
    )
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        sftp = SftpServer(stack_directory(kafka) / "sftp")
        twilio = FakeTwilio()
        sftp.start()
        twilio.start()
        cap = {"LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR": str(args.messages_per_destination)}
        worker = bench_worker(kafka, postgres, key_file, **twilio.env(), **sftp.worker_env(), **cap)
        try:
            worker.start()
            load_or_create_local_key(key_file)
            pipeline = asyncio.run(
                pipeline_figures(worker.url, key_file, twilio, sftp, subscribers=args.subscribers, rounds=args.rounds)
            )
            worker.stop()
            baseline = asyncio.run(baseline_figures(sftp, notifications=2 * args.subscribers, rounds=args.rounds))
        finally:
            worker.stop()
            twilio.stop()
            sftp.stop()
    report(
        "notifications",
        {
            "subscribers": args.subscribers,
            "channels": 2,
            "messages_per_destination_per_hour": args.messages_per_destination,
            "pipeline_begin_to_last_delivered": pipeline,
            "baseline_sftp_uploads_alone": baseline,
            "ratios": {
                "total_vs_baseline": round(pipeline["total_ms"] / baseline["total_ms"], 2),
                "p50_vs_baseline": round(pipeline["p50_ms"] / baseline["p50_ms"], 2),
            },
        },
    )


if __name__ == "__main__":
    main()
