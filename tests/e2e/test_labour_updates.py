"""A labour's updates through a real worker, Kafka, a fake Twilio, the SFTP server and the mirror: an announcement
texted and emailed to a confirmed subscriber, the next one too soon, a quick update in the service's words, status
updates a follower reads and private notes they never see, and edits and deletions in the reads and the mirror."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.e2e.test_notifications import find_messages
from tests.fakes.twilio_api import FakeTwilio
from tests.support.api import MakeCaller
from tests.support.notifications import (
    NotifyingDeployment,
    emails_to,
    eventually,
    follower,
    labour_with_followers,
    ok,
    subjects_to,
)
from tests.support.waiting import eventually as eventually_found


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresCluster, sftp: SftpServer, twilio_api: FakeTwilio
) -> Iterator[NotifyingDeployment]:
    with NotifyingDeployment.running_on(kafka, postgres, twilio_api, sftp, "updates") as deployed:
        yield deployed


@pytest.fixture
async def mirror(
    postgres: PostgresCluster, deployment: NotifyingDeployment
) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    connection = await asyncpg.connect(postgres.dsn)
    yield connection, deployment.stack.env["LABOUR_TRACKER_MIRROR_SCHEMA"]
    await connection.close()


async def test_an_announcement_is_texted_and_emailed_to_a_confirmed_subscriber_and_the_next_must_wait(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    sam = await follower(person, "Sam", "sms", "email")
    bea = await labour_with_followers(person, [sam])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    begun = "Sam, Bea Moyo is going into labour"
    await eventually(lambda: begun in deployment.twilio.bodies_to(sam.phone), what="the news of labour")

    posted = await bea.post("/labour/updates", {"kind": "announcement", "message": "Waters broke, heading in soon"})

    assert posted.status == 200, posted.body
    (update,) = posted.body["labour"]["updates"]
    assert update | {"id": None, "posted_at": None} == {
        "id": None, "kind": "announcement", "message": "Waters broke, heading in soon", "moment": None,
        "posted_by": bea.id, "posted_at": None, "edited_at": None,
    }  # fmt: skip
    news = "Sam, news from Bea: Waters broke, heading in soon"
    await eventually(lambda: news in deployment.twilio.bodies_to(sam.phone), what="the announcement by SMS")
    await eventually(lambda: "News from Bea Moyo" in subjects_to(deployment.sftp, sam.email), what="the email")
    (email,) = [each for each in emails_to(deployment.sftp, sam.email) if each["Subject"] == "News from Bea Moyo"]
    body = email.get_body(("plain",))
    assert body is not None and "Sam, news from Bea\r\n\r\nWaters broke, heading in soon" in body.get_content()

    too_soon = await bea.post("/labour/updates", {"kind": "announcement", "message": "Now at the hospital"})
    assert (too_soon.status, too_soon.body["code"]) == (429, "announcement_too_soon")
    assert 590 <= int(too_soon.headers["Retry-After"]) <= 600
    quick = await bea.post("/labour/updates/quick", {"moment": "arrived_at_hospital"})
    assert (quick.status, quick.body["code"]) == (429, "announcement_too_soon"), "a quick update is an announcement"

    edited = await bea.put(f"/labour/updates/{update['id']}", {"message": "Waters broke, at the hospital now"})
    assert edited.status == 200, edited.body
    assert edited.body["labour"]["updates"][0]["edited_at"] is not None
    status = await ok(bea.post("/labour/updates", {"kind": "status_update", "message": "Resting between them"}))
    assert [each["kind"] for each in status["labour"]["updates"]] == ["announcement", "status_update"]
    await ok(bea.put("/labour/complete", {}))
    done = "Hey Sam, Bea Moyo has completed labour"
    await eventually(lambda: done in deployment.twilio.bodies_to(sam.phone), what="the news of completion")
    assert deployment.twilio.bodies_to(sam.phone) == [begun, news, done], "an edit or a status update sends nothing"

    # On Kafka the updates' events say nothing of them in clear: sealed under the person's key.
    for event_type in ("labour.update_posted", "labour.update_edited"):
        found = await find_messages(
            deployment,
            "birthing_person.events",
            lambda each, wanted=event_type: (each["aggregate_id"], each["type"]) == (bea.id, wanted),
        )
        (value,) = found.values()  # the latest of them: keyed by the person
        assert json.loads(value)["data"] == {} and json.loads(value)["sealed"]
        assert b"Waters broke" not in value and b"Resting" not in value


async def test_a_quick_update_is_announced_in_the_services_words(
    deployment: NotifyingDeployment, person: MakeCaller
) -> None:
    kim = await follower(person, "Kim", "sms")
    bea = await labour_with_followers(person, [kim])
    await ok(bea.post("/labour/begin", {"first_labour": False}))

    answer = await ok(bea.post("/labour/updates/quick", {"moment": "waters_broken"}))

    (update,) = answer["labour"]["updates"]
    assert (update["kind"], update["moment"], update["message"]) == ("announcement", "waters_broken", None)
    text = "Kim, Bea Moyo's waters have broken"
    await eventually(lambda: text in deployment.twilio.bodies_to(kim.phone), what="the quick update by SMS")
    unknown = await bea.post("/labour/updates/quick", {"moment": "twins"})
    assert (unknown.status, unknown.body["code"]) == (422, "validation_error")


async def test_a_follower_reads_status_updates_and_announcements_but_never_private_notes(
    person: MakeCaller,
) -> None:
    ola = await follower(person, "Ola", "email")
    bea = await labour_with_followers(person, [ola])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    await ok(bea.post("/labour/updates", {"kind": "private_note", "message": "Honestly terrified"}))
    await ok(bea.post("/labour/updates", {"kind": "status_update", "message": "4 cm, all good"}))
    await ok(bea.post("/labour/updates/quick", {"moment": "on_the_way_to_hospital"}))

    theirs = (await ok(ola.caller.get(f"/birthing-person/{bea.id}/labour/active")))["labour"]["updates"]
    mine = (await ok(bea.get("/labour/active")))["labour"]["updates"]

    assert [(each["kind"], each["message"]) for each in mine] == [
        ("private_note", "Honestly terrified"), ("status_update", "4 cm, all good"), ("announcement", None),
    ]  # fmt: skip
    assert theirs == mine[1:]
    assert "terrified" not in json.dumps(theirs)


async def test_edits_and_deletions_show_in_the_reads_and_in_the_mirror(
    person: MakeCaller, mirror: tuple[asyncpg.Connection, str]
) -> None:
    connection, schema = mirror
    bea = person("Bea", "Moyo")
    await ok(bea.post("/birthing-person/register"))
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    first = await ok(bea.post("/labour/updates", {"kind": "status_update", "message": "early days"}))
    second = await ok(bea.post("/labour/updates", {"kind": "private_note", "message": "note to self"}))
    kept_id, gone_id = (each["id"] for each in second["labour"]["updates"])
    assert first["labour"]["updates"][0]["id"] == kept_id

    async def mirrored() -> list[Any] | None:
        rows = await connection.fetch(
            f"SELECT id, kind, message, posted_by, edited_at FROM {schema}.labour_updates WHERE labour_id = $1"
            " ORDER BY posted_at, id",
            second["labour"]["id"],
        )
        return rows if len(rows) == 2 else None

    rows = await eventually_found(mirrored, what="both updates in the mirror")
    assert [(r["kind"], r["message"], r["posted_by"]) for r in rows] == [
        ("status_update", "early days", bea.id), ("private_note", "note to self", bea.id),
    ]  # fmt: skip

    await ok(bea.put(f"/labour/updates/{kept_id}", {"message": "things moving now"}))
    deleted = await ok(bea.delete(f"/labour/updates/{gone_id}"))
    assert [each["message"] for each in deleted["labour"]["updates"]] == ["things moving now"]
    active = await ok(bea.get("/labour/active"))
    assert [(each["id"], each["message"]) for each in active["labour"]["updates"]] == [(kept_id, "things moving now")]

    async def edited_and_deleted() -> list[Any] | None:
        rows = await connection.fetch(
            f"SELECT id, message, edited_at FROM {schema}.labour_updates WHERE labour_id = $1", second["labour"]["id"]
        )
        done = [(r["id"], r["message"]) for r in rows] == [(kept_id, "things moving now")]
        return rows if done and rows[0]["edited_at"] is not None else None

    await eventually_found(edited_and_deleted, what="the edit and the deletion in the mirror")

    unknown = await bea.delete("/labour/updates/no-such-update")
    assert (unknown.status, unknown.body["code"]) == (404, "labour_update_not_found")
    blank = await bea.put(f"/labour/updates/{kept_id}", {"message": "   "})
    assert (blank.status, blank.body["code"]) == (422, "update_message_required")
    too_long = await bea.post("/labour/updates", {"kind": "status_update", "message": "x" * 1_001})
    assert (too_long.status, too_long.body["code"]) == (422, "update_message_too_long")
    junk = await bea.put(f"/labour/updates/{kept_id}", {"message": "bell \x07"})
    assert (junk.status, junk.body["code"]) == (422, "note_not_text")

    await ok(bea.put("/labour/complete", {}))
    after = await ok(bea.put(f"/labour/updates/{kept_id}", {"message": "she's here"}))  # completed, still the latest
    assert after["labour"]["updates"][0]["message"] == "she's here"
    not_under_way = await bea.post("/labour/updates", {"kind": "status_update", "message": "too late"})
    assert (not_under_way.status, not_under_way.body["code"]) == (404, "labour_not_found")

    async def exported() -> list[Any] | None:
        answer = await bea.get(f"/birthing-person/labours/{second['labour']['id']}/export?format=json")
        updates = answer.body["labour"]["updates"] if answer.status == 200 else []
        return updates if [each["message"] for each in updates] == ["she's here"] else None

    (in_file,) = await eventually_found(exported, what="the edit in the download")
    assert (in_file["id"], in_file["kind"], in_file["posted_by"]) == (kept_id, "status_update", bea.id)

    assert (await bea.delete("/birthing-person/")).status == 204

    async def erased() -> bool:
        left = await connection.fetchval(
            f"SELECT count(*) FROM {schema}.labour_updates WHERE labour_id = $1", second["labour"]["id"]
        )
        return left == 0

    await eventually_found(erased, what="the updates erased with the person")
