"""A command produced straight onto the command topic whose result could not be stored: rejected on the outcomes
topic, parked on the dead-letter topic, nothing of it published, and the agent takes the next command."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.support.kafka import Kafka, of
from tests.support.stack import Deployment

NOTE = "\N{BABY}" * 500  # 2,000 bytes, the most one note may hold


@pytest.fixture
async def kafka_client(small_messages: Deployment) -> AsyncIterator[Kafka]:
    async with Kafka.of(small_messages) as client:
        yield client


async def test_a_command_whose_record_would_not_fit_is_rejected_parked_and_the_agent_goes_on(
    kafka_client: Kafka, small_messages: Deployment
) -> None:
    worker = small_messages.worker
    person = f"noted-{uuid.uuid4().hex[:8]}"
    ask = kafka_client.command
    await kafka_client.reply(await ask(person, "birthing_person.register", {"first_name": "A", "last_name": "B"}, "n1"))
    begin = {"first_labour": True, "start_time": "2026-01-01T00:00:00Z"}
    await kafka_client.reply(await ask(person, "labour.begin", begin, "n2"))
    answers, number = [], 0
    while not answers or answers[-1]["outcome"]["status"] == "accepted":
        number += 1
        start = {"notes": NOTE, "start_time": f"2026-01-01T{number:02}:00:00Z"}
        answers.append(await kafka_client.reply(await ask(person, "contraction.start", start, f"s{number}")))
        if answers[-1]["outcome"]["status"] == "accepted":
            end = {"intensity": 5, "end_time": f"2026-01-01T{number:02}:01:00Z"}
            answers.append(await kafka_client.reply(await ask(person, "contraction.end", end, f"e{number}")))
        assert number < 10, "a record of 8 KiB cannot hold ten notes of 2,000 bytes"

    refused = answers[-1]["outcome"]
    assert (refused["status"], refused["error"]["code"]) == ("rejected", "record_too_large")
    assert refused["error"]["kind"] == "unprocessable"
    outcomes = await kafka_client.read(f"{kafka_client.prefix}.birthing_person.outcomes", 2 + len(answers), of(person))
    assert outcomes[-1] == refused
    (letter,) = await kafka_client.read(f"{kafka_client.prefix}.dead_letters", 1, lambda d: d["key"] == person)
    assert letter["reason"].startswith("Refused: its record would take") and NOTE not in letter["reason"]

    # The agent goes on: the same person without a note, and another person.
    after = {"start_time": f"2026-01-01T{number:02}:00:00Z"}
    small = await kafka_client.reply(await ask(person, "contraction.start", after, "small"))
    assert small["outcome"]["status"] == "accepted"
    other = f"other-{uuid.uuid4().hex[:8]}"
    registered = await kafka_client.reply(
        await ask(other, "birthing_person.register", {"first_name": "C", "last_name": "D"}, "o1")
    )
    assert registered["outcome"]["status"] == "accepted"
    events = await kafka_client.read(f"{kafka_client.prefix}.birthing_person.events", 3 + 2 * (number - 1), of(person))
    assert events[-1]["causation_id"] == "small", "nothing of the refused command was published"
    assert worker.process is not None and worker.process.returncode is None
