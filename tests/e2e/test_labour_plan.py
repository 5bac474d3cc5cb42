"""A labour planned before it begins, through a real worker: plan it, read it, begin it, find its name in history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_mirror import eventually
from tests.support.api import MakeCaller


async def test_a_planned_labour_begins_with_its_id_and_name_and_the_history_keeps_the_name(
    person: MakeCaller,
) -> None:
    alice = person("Alice", "Planner")
    assert (await alice.post("/birthing-person/register")).status == 201
    assert (await alice.get("/labour/planned")).status == 404
    without_plan = await alice.post("/labour/begin", {})
    assert (without_plan.status, without_plan.body["code"]) == (422, "first_labour_required")

    due = (datetime.now(UTC) + timedelta(weeks=6)).date().isoformat()
    planned = await alice.post("/labour/plan", {"due_date": due, "first_labour": True, "name": "Little Bean"})
    assert planned.status == 200, planned.body
    plan = planned.body["plan"]
    assert plan | {"id": None} == {
        "id": None, "due_date": due, "first_labour": True, "name": "Little Bean", "phase": "planned",
    }  # fmt: skip

    assert (await alice.get("/labour/planned")).body == {"plan": plan}
    record = await alice.get("/birthing-person/")
    assert record.body["birthing_person"]["plan"] == plan
    assert record.body["birthing_person"]["active_labour_id"] is None

    begun = await alice.post("/labour/begin", {})
    assert begun.status == 200, begun.body
    labour = begun.body["labour"]
    assert (labour["id"], labour["name"], labour["first_labour"]) == (plan["id"], "Little Bean", True)
    assert (await alice.get("/labour/planned")).status == 404
    refused = await alice.post("/labour/plan", {"due_date": due, "first_labour": True})
    assert (refused.status, refused.body["code"]) == (400, "labour_already_active")
    assert (await alice.get("/labour/active")).body["labour"]["name"] == "Little Bean"
    assert (await alice.get("/labour/active/summary")).body["summary"]["name"] == "Little Bean"

    async def in_history() -> dict[str, object] | None:
        page = await alice.get("/birthing-person/labours")
        return next((each for each in page.body.get("labours", []) if each["id"] == plan["id"]), None)

    mirrored = await eventually(in_history)
    assert (mirrored["name"], mirrored["first_labour"]) == ("Little Bean", True)


async def test_a_plan_is_replaced_keeping_its_id_and_cancelled(person: MakeCaller) -> None:
    bea = person("Bea", "Planner")
    assert (await bea.post("/birthing-person/register")).status == 201
    due = datetime.now(UTC).date()
    first = await bea.post("/labour/plan", {"due_date": due.isoformat(), "first_labour": True})
    later = (due + timedelta(days=10)).isoformat()
    again = await bea.post("/labour/plan", {"due_date": later, "first_labour": False, "name": "Pip"})
    assert again.body["plan"]["id"] == first.body["plan"]["id"]
    assert (again.body["plan"]["due_date"], again.body["plan"]["name"]) == (later, "Pip")

    too_far = (due + timedelta(days=400)).isoformat()
    refused = await bea.post("/labour/plan", {"due_date": too_far, "first_labour": True})
    assert (refused.status, refused.body["code"]) == (422, "due_date_out_of_range")

    assert (await bea.delete("/labour/plan")).status == 204
    assert (await bea.get("/labour/planned")).status == 404
    assert (await bea.get("/birthing-person/")).body["birthing_person"]["plan"] is None
    gone = await bea.delete("/labour/plan")
    assert (gone.status, gone.body["code"]) == (404, "labour_not_found")
