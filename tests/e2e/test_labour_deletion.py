"""A completed labour deleted from a person's history through a running worker: gone from their record, from the
mirror's history and from the downloads; the labour under way cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.api import Caller, MakeCaller, iso
from tests.support.waiting import eventually


async def labours_in_history(bea: Caller, count: int) -> list[str]:
    """The ids of the person's labours as the mirror serves them, once it holds `count`."""

    async def held() -> list[str] | None:
        labours = [each["id"] for each in (await bea.get("/birthing-person/labours")).body["labours"]]
        return labours if len(labours) == count else None

    return await eventually(held, what="the mirror")


async def labour(bea: Caller, began: datetime) -> str:
    assert (await bea.post("/labour/begin", {"first_labour": False, "start_time": iso(began)})).status == 200
    start = began + timedelta(minutes=5)
    assert (await bea.post("/labour/contraction/start", {"start_time": iso(start), "notes": "first"})).status == 200
    ended = await bea.put("/labour/contraction/end", {"end_time": iso(start + timedelta(minutes=1)), "intensity": 5})
    assert ended.status == 200, ended.body
    return str(ended.body["labour"]["id"])


async def test_a_completed_labour_is_deleted_from_the_record_the_history_and_the_downloads(person: MakeCaller) -> None:
    bea = person("Bea", "Moyo")
    assert (await bea.post("/birthing-person/register")).status == 201
    first = await labour(bea, datetime.now(UTC) - timedelta(hours=5))
    assert (await bea.put("/labour/complete", {"notes": "false alarm"})).status == 200
    second = await labour(bea, datetime.now(UTC) - timedelta(hours=1))
    assert sorted(await labours_in_history(bea, 2)) == sorted([first, second])

    deleted = await bea.delete(f"/birthing-person/labours/{first}")

    assert deleted.status == 200, deleted.body
    assert [each["id"] for each in deleted.body["birthing_person"]["labours"]] == [second]
    assert await labours_in_history(bea, 1) == [second]
    gone = await bea.get(f"/birthing-person/labours/{first}/export?format=json")
    assert (gone.status, gone.body["code"]) == (404, "labour_not_found")
    under_way = await bea.delete(f"/birthing-person/labours/{second}")
    assert (under_way.status, under_way.body["code"]) == (400, "labour_in_progress")
    unknown = await bea.delete("/birthing-person/labours/no-such-labour")
    assert (unknown.status, unknown.body["code"]) == (404, "labour_not_found")
    other = person("Eve", "Ng")
    assert (await other.post("/birthing-person/register")).status == 201
    assert (await other.delete(f"/birthing-person/labours/{second}")).status == 404  # not theirs
