"""A real browser for the web app's tests: the system's Chromium (Debian's package), driven by Playwright, which
never downloads a browser of its own here."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

OpenPhone = Callable[[], Awaitable[BrowserContext]]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def phones(browser: Browser) -> AsyncIterator[OpenPhone]:
    """Opens browser contexts the size of a phone, each a device of its own; closes them afterwards, and fails if a
    page threw or the Content-Security-Policy refused something a page uses."""
    opened: list[BrowserContext] = []
    faults: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda error: faults.append(f"uncaught: {error}"))
        page.on("console", lambda message: faults.append(message.text) if "Refused to" in message.text else None)

    async def open_one() -> BrowserContext:
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True)
        context.on("page", watch)
        opened.append(context)
        return context

    yield open_one
    for context in opened:
        await context.close()
    assert not faults, f"the pages threw, or the Content-Security-Policy refused something they use: {faults}"
