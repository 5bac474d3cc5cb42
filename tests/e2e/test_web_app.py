"""The web app in a real browser (the system's Chromium, driven by Playwright) against a running worker: a person
times contractions with the big button while a follower watches, fixes and deletes one, records contractions
without a connection that reach the service once, in order, when it returns; with an issuer configured there is
no development sign-in. With LABOUR_TRACKER_SCREENSHOTS set to a folder, the main screens are saved there."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import MakeCaller
from tests.support.browser import OpenPhone
from tests.support.stack import new_stack

SEEN_WITHIN_MS = 3000  # the follower's page hears each change on the live stream, within a second on the API


async def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LABOUR_TRACKER_SCREENSHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def someone(first: str) -> str:
    return f"{first} Test{uuid.uuid4().hex[:8]}"


async def dev_sign_in(page: Page, name: str, email: str | None = None, phone: str | None = None) -> None:
    await expect(page.get_by_text("Development only")).to_be_visible()
    await page.get_by_label("Your name").fill(name)
    if email:
        await page.get_by_label("Email (optional)").fill(email)
    if phone:
        await page.get_by_label("Phone, as +44… (optional)").fill(phone)
    await page.get_by_role("button", name="Sign in (development)").click()


async def person_in_labour(page: Page, base_url: str, name: str) -> None:
    await page.goto(f"{base_url}/app/")
    await dev_sign_in(page, name)
    await page.get_by_role("button", name="Start using Labour Tracker").click()
    await page.get_by_label("This is my first labour").check()
    await page.get_by_role("button", name="Labour has begun").click()
    await expect(page.get_by_role("button", name="Start contraction")).to_be_visible()


async def time_contraction(page: Page, *, during: int | None = None, after: int | None = None) -> None:
    """Start and stop a contraction with the big button, its strength tapped while it runs or once it ended."""
    big = page.locator("#contraction-button")
    await expect(big).to_contain_text("Start contraction")
    await big.click()
    await expect(big).to_contain_text("Stop contraction")
    if during is not None:
        await page.get_by_role("button", name=f"Strength {during}", exact=True).click()
    await asyncio.sleep(1.2)
    await big.click()
    await expect(big).to_contain_text("Start contraction")
    if after is not None:
        await expect(page.locator("#intensity-legend")).to_contain_text("How strong was the last one?")
        await page.get_by_role("button", name=f"Strength {after}", exact=True).click()


# Every visible control: its size, and its name as assistive technology reads it.
CONTROLS = """() => [...document.querySelectorAll("button, input, select, textarea, a[href]")]
  .filter((each) => each.getClientRects().length > 0 && getComputedStyle(each).visibility !== "hidden")
  .map((each) => {
    const box = each.getBoundingClientRect();
    const label = each.labels && each.labels.length ? each.labels[0].textContent : "";
    const named = (each.getAttribute("aria-label") || label || each.textContent || "").trim();
    const wrapper = each.type === "checkbox" ? each.closest("label") : null;
    const target = wrapper ? wrapper.getBoundingClientRect() : box;
    return { id: each.id || each.textContent.trim().slice(0, 30), named: named.length > 0,
             width: target.width, height: target.height, link: each.tagName === "A" };
  })"""


async def assert_accessible_controls(page: Page) -> None:
    """Each visible control is named, and a touch target of at least 44 by 44 CSS pixels (links in text aside)."""
    controls = await page.evaluate(CONTROLS)
    assert controls
    for control in controls:
        assert control["named"], control
        if not control["link"]:
            assert control["width"] >= 44 and control["height"] >= 44, control


def caller_of(person: MakeCaller, name: str) -> Any:
    """An API caller for the user the development sign-in made of `name`."""
    given, _, family = name.partition(" ")
    return person(given, family, user_id="dev-" + name.lower().replace(" ", "-"))


async def contractions_of(caller: Any) -> list[dict[str, Any]]:
    answer = await caller.get("/labour/active")
    assert answer.status == 200, answer.body
    return list(answer.body["labour"]["contractions"])


async def test_a_follower_sees_contractions_timed_with_the_big_button(
    worker: WorkerProcess, phone: OpenPhone, person: MakeCaller
) -> None:
    mother = await (await phone()).new_page()
    name = someone("Ada")
    await person_in_labour(mother, worker.url, name)
    link = mother.get_by_role("link", name=f"{worker.url}/app/follow#person=")
    await expect(link).to_be_visible()
    await expect(mother.get_by_role("img", name="QR code of the share link")).to_be_visible()
    await mother.wait_for_function("document.getElementById('share-qr').naturalWidth > 0")  # drawn, not broken
    installed = await mother.evaluate("navigator.serviceWorker.ready.then((ready) => ready.active.scriptURL)")
    assert installed == f"{worker.url}/app/sw.js"  # the shell opens without a connection
    share_link = await link.get_attribute("href")
    assert share_link is not None

    follower = await (await phone()).new_page()
    await follower.goto(share_link)
    ben = someone("Ben")
    await dev_sign_in(follower, ben, "ben@example.org", "+447700900123")
    await follower.get_by_role("checkbox", name="Email").check()
    await screenshot(follower, "follower-join")
    await follower.get_by_role("button", name="Follow").click()
    await expect(follower.locator("#problem")).to_contain_text("not approved")  # a request, until she answers it
    await mother.get_by_role("button", name=f"Let {ben} follow you as a birth partner").click(timeout=15_000)
    await expect(follower.locator("#phase")).to_contain_text("Early labour")
    assert "token=" not in follower.url  # the share token leaves the address bar

    for strength in (4, 6, 7):
        await time_contraction(mother, during=strength)
    await expect(mother.locator("#contractions li")).to_have_count(3)
    await expect(follower.locator("#contractions li")).to_have_count(3, timeout=SEEN_WITHIN_MS)
    await expect(follower.locator("#contractions li").first).to_contain_text("strength 7")
    await assert_accessible_controls(mother)
    await assert_accessible_controls(follower)
    await screenshot(mother, "person-labour")
    await screenshot(follower, "follower-watching")
    await mother.locator("#sharing").scroll_into_view_if_needed()
    await expect(mother.locator("#followers")).to_contain_text("Ben", timeout=SEEN_WITHIN_MS)
    await expect(mother.locator("#followers")).to_contain_text("birth partner")
    await mother.get_by_role("button", name=f"Make {ben.split()[0]} family or a friend").click()
    await expect(mother.locator("#followers")).to_contain_text("family & friends")
    await screenshot(mother, "person-sharing")

    await follower.get_by_role("checkbox", name="Text message").check()
    await follower.get_by_role("button", name="Save how I am told").click()
    told = caller_of(person, ben)
    for _ in range(50):
        chosen = (await told.get("/subscriber/")).body["subscriber"]["subscription_contact_methods"]
        if chosen == {f"dev-{name.lower().replace(' ', '-')}": ["email", "sms"]}:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the follower's choice did not reach the service: {chosen}")

    timed = await contractions_of(caller_of(person, name))
    assert [each["intensity"] for each in timed] == [4, 6, 7]

    await follower.get_by_role("button", name="Stop following").click()
    await expect(follower.locator("#connection")).to_contain_text("You no longer follow this labour")
    assert (await told.get("/subscriber/")).body["subscriber"]["subscribed_to"] == []
    assert all(each["end_time"] is not None and each["duration_seconds"] >= 1 for each in timed)


async def test_a_contraction_is_fixed_deleted_and_brought_back(
    worker: WorkerProcess, phone: OpenPhone, person: MakeCaller
) -> None:
    page = await (await phone()).new_page()
    name = someone("Cleo")
    await person_in_labour(page, worker.url, name)
    await time_contraction(page, after=3)
    await time_contraction(page, after=5)
    api = caller_of(person, name)
    first, second = await contractions_of(api)

    await page.get_by_role("button", name="Edit the contraction at").last.click()
    await page.get_by_label("Strength (1", exact=False).fill("8")
    await page.get_by_label("Note", exact=True).fill("back ache")
    await screenshot(page, "person-edit")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_be_hidden()
    await expect(page.locator("#contractions li").last).to_contain_text("strength 8 · back ache")
    fixed = (await contractions_of(api))[0]
    assert (fixed["id"], fixed["intensity"], fixed["notes"]) == (first["id"], 8, "back ache")

    await page.get_by_role("button", name="Delete the contraction at").first.click()
    await expect(page.locator("#contractions li")).to_have_count(1)
    assert [each["id"] for each in await contractions_of(api)] == [first["id"]]

    await page.get_by_role("button", name="Undo last change").click()
    await expect(page.locator("#contractions li")).to_have_count(2)
    assert [each["id"] for each in await contractions_of(api)] == [first["id"], second["id"]]


async def test_contractions_recorded_offline_are_sent_once_in_order_when_back_online(
    worker: WorkerProcess, phone: OpenPhone, person: MakeCaller
) -> None:
    context = await phone()
    page = await context.new_page()
    name = someone("Dora")
    await person_in_labour(page, worker.url, name)
    await time_contraction(page, after=2)
    await expect(page.locator("#contractions li:not(.waiting)")).to_have_count(1)
    await page.evaluate("navigator.serviceWorker.ready")  # the app is kept on the phone once its worker is ready

    await context.set_offline(True)
    await time_contraction(page, during=5)
    await time_contraction(page, after=9)
    await expect(page.locator("#connection")).to_contain_text("4 changes waiting to be sent")
    await expect(page.locator("#contractions li.waiting")).to_have_count(4)
    await screenshot(page, "person-offline")
    await page.reload()  # what waits outlasts a reload
    await expect(page.locator("#contractions li.waiting")).to_have_count(4)
    await expect(page.locator("#connection")).to_contain_text("4 changes waiting to be sent")
    api = caller_of(person, name)
    assert len(await contractions_of(api)) == 1

    await context.set_offline(False)
    await expect(page.locator("#connection")).to_be_hidden(timeout=SEEN_WITHIN_MS)
    await expect(page.locator("#contractions li")).to_have_count(3)
    timed = await contractions_of(api)
    assert [each["intensity"] for each in timed] == [2, 5, 9]
    assert len({each["id"] for each in timed}) == 3
    assert all(each["end_time"] is not None for each in timed)
    starts = [each["start_time"] for each in timed]
    assert starts == sorted(starts)
    assert await page.evaluate("localStorage.getItem('labour-tracker.outbox')") == "[]"


async def test_with_an_issuer_the_page_offers_no_development_sign_in(
    kafka: KafkaBroker, postgres: PostgresCluster, phone: OpenPhone
) -> None:
    issuer = "http://127.0.0.1:9/realms/labour-tracker"  # never reached: the page only names it
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_OIDC_ISSUER=issuer)
    with stack.running("web-app-issuer") as worker:
        page = await (await phone()).new_page()
        await page.goto(f"{worker.url}/app/")
        await expect(page.get_by_role("button", name="Sign in or create an account")).to_be_visible()
        await expect(page.get_by_text("Development only")).to_have_count(0)
        await expect(page.get_by_label("Your name")).to_have_count(0)
        answer = await page.request.post(f"{worker.url}/app/dev-sign-in", data={"name": "Mallory"})
        assert answer.status == 404


async def test_updates_are_posted_labour_completed_and_downloaded(
    worker: WorkerProcess, phone: OpenPhone, person: MakeCaller
) -> None:
    page = await (await phone()).new_page()
    name = someone("Eve")
    await person_in_labour(page, worker.url, name)
    await time_contraction(page, during=6)

    await page.get_by_role("button", name="Waters have broken").click()
    await page.get_by_label("Kind").select_option("status_update")
    await page.get_by_label("Message").fill("Resting between, all well")
    await page.get_by_role("button", name="Post update").click()
    await expect(page.locator("#updates li")).to_have_count(2)
    await expect(page.locator("#updates li").first).to_contain_text("Status: Resting between, all well")
    await expect(page.locator("#updates li").last).to_contain_text("Waters have broken")

    await page.get_by_role("button", name="Labour is complete…").click()
    await page.get_by_role("button", name="Yes, labour is complete").click()
    await expect(page.locator("#labour")).to_be_hidden()
    await expect(page.locator("#labours li")).to_have_count(1)
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download as a spreadsheet (CSV)").click()
    download = await downloading.value
    lines = (await asyncio.to_thread(Path(await download.path()).read_text)).splitlines()
    assert download.suggested_filename.startswith("labour-") and download.suggested_filename.endswith(".csv")
    assert lines[0].startswith("labour_id,contraction_id,start_time,end_time,duration_seconds,intensity")
    assert len(lines) == 2 and lines[1].split(",")[5] == "6"
    answer = await caller_of(person, name).get("/birthing-person/")
    assert answer.body["birthing_person"]["active_labour_id"] is None


async def test_a_phone_whose_clock_runs_ahead_records_by_the_services_clock(
    worker: WorkerProcess, phone: OpenPhone, person: MakeCaller
) -> None:
    page = await (await phone()).new_page()
    await page.clock.install(time=datetime.now(UTC) + timedelta(minutes=10))  # the service refuses times ahead
    name = someone("Fay")
    await person_in_labour(page, worker.url, name)
    await time_contraction(page, during=4)
    await expect(page.locator("#contractions li:not(.waiting)")).to_have_count(1)

    (timed,) = await contractions_of(caller_of(person, name))
    started = datetime.fromisoformat(timed["start_time"])
    assert abs(started - datetime.now(UTC)) < timedelta(seconds=30)


async def test_a_new_share_link_turns_the_old_one_away(worker: WorkerProcess, phone: OpenPhone) -> None:
    mother = await (await phone()).new_page()
    await person_in_labour(mother, worker.url, someone("Gia"))
    link = mother.get_by_role("link", name=f"{worker.url}/app/follow#person=")
    old_link = await link.get_attribute("href")
    await mother.get_by_role("button", name="Make a new link (the old one stops working)").click()
    await expect(link).not_to_have_attribute("href", old_link or "")
    await mother.wait_for_function("document.getElementById('share-qr').naturalWidth > 0")

    late = await (await phone()).new_page()
    await late.goto(old_link or "")
    await dev_sign_in(late, someone("Hal"), "hal@example.org")
    await late.get_by_role("checkbox", name="Email").check()
    await late.get_by_role("button", name="Follow").click()
    await expect(late.get_by_role("alert")).to_contain_text("token")
    await expect(late.locator("#watching")).to_be_hidden()
