"""A family fixes the record through a running worker: a contraction edited, one deleted and the deletion undone,
a missed one added; the mirror's history follows, a deleted contraction included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.api import Caller, MakeCaller, iso
from tests.support.waiting import eventually


async def history(bea: Caller, count: int) -> list[dict[str, Any]]:
    """The contractions of the person's latest labour as the mirror serves them, once it holds `count`."""

    async def held() -> list[dict[str, Any]] | None:
        labours = (await bea.get("/birthing-person/labours")).body["labours"]
        found: list[dict[str, Any]] = labours[0]["contractions"] if labours else []
        return found if len(found) == count else None

    return await eventually(held, what="the mirror")


async def test_contractions_are_edited_deleted_restored_and_added_and_the_mirror_follows(person: MakeCaller) -> None:
    bea = person("Bea", "Moyo")
    assert (await bea.post("/birthing-person/register")).status == 201
    began = datetime.now(UTC) - timedelta(hours=1)
    assert (await bea.post("/labour/begin", {"first_labour": True, "start_time": iso(began)})).status == 200
    for minutes in (10, 20, 30):
        start = began + timedelta(minutes=minutes)
        assert (await bea.post("/labour/contraction/start", {"start_time": iso(start)})).status == 200
        ended = await bea.put(
            "/labour/contraction/end", {"end_time": iso(start + timedelta(minutes=1)), "intensity": 5}
        )
        assert ended.status == 200, ended.body
    first, second, third = (each["id"] for each in ended.body["labour"]["contractions"])

    edited = await bea.put(f"/labour/contractions/{second}", {"intensity": 8, "notes": "back pain"})
    assert edited.status == 200, edited.body
    assert [(c["intensity"], c["notes"]) for c in edited.body["labour"]["contractions"]] == [
        (5, None), (8, "back pain"), (5, None)
    ]  # fmt: skip

    deleted = await bea.delete(f"/labour/contractions/{first}")
    assert [c["id"] for c in deleted.body["labour"]["contractions"]] == [second, third]
    restored = await bea.post("/labour/contractions/undo")
    assert [c["id"] for c in restored.body["labour"]["contractions"]] == [first, second, third]
    again = await bea.post("/labour/contractions/undo")
    assert (again.status, again.body["code"]) == (400, "nothing_to_undo")

    missed = began + timedelta(minutes=15)
    added = await bea.post(
        "/labour/contractions",
        {"start_time": iso(missed), "end_time": iso(missed + timedelta(minutes=1)), "intensity": 4},
    )
    assert added.status == 200, added.body
    ids = [c["id"] for c in added.body["labour"]["contractions"]]
    assert len(ids) == 4 and ids[0] == first and ids[2:] == [second, third]

    overlap = await bea.put(
        f"/labour/contractions/{third}", {"start_time": iso(began + timedelta(minutes=20, seconds=30))}
    )
    assert (overlap.status, overlap.body["code"]) == (400, "contractions_overlap")
    unknown = await bea.delete("/labour/contractions/no-such-contraction")
    assert (unknown.status, unknown.body["code"]) == (404, "contraction_not_found")

    assert (await bea.put("/labour/complete", {})).status == 200
    mirrored = await history(bea, 4)
    assert [(c["id"], c["intensity"], c["notes"]) for c in mirrored] == [
        (first, 5, None), (ids[1], 4, None), (second, 8, "back pain"), (third, 5, None)
    ]  # fmt: skip
    assert (await bea.delete(f"/labour/contractions/{ids[1]}")).status == 200  # a completed labour is fixed too
    assert [c["id"] for c in await history(bea, 3)] == [first, second, third]
