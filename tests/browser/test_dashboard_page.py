"""The dashboard page in headless Chromium, on the embedded default.

Chromium is Debian's package, driven by Playwright through its executable
path, so Playwright never downloads a browser of its own. The test signs
in with a Secretariat token, opens a phase and draws lots through the API,
and checks that the page shows the draw without being reloaded, with a
stream that skips the gateway's history.
"""

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from palermo.embedded import run_embedded
from palermo.phase import open_and_draw, phase_client
from palermo_shared.auth import LocalIssuer, Role

# Drawing lots for every State party on the embedded default takes seconds.
UPDATE_TIMEOUT_MS = 60_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    assert executable is not None, (
        "Chromium is missing: install Debian's package with "
        "'apt-get install -y chromium' (make test does it)"
    )
    async with async_playwright() as playwright:
        # The sandbox needs user namespaces, which containers running as root
        # often lack.
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield browser
        await browser.close()


async def _sign_in(page: Page, url: str, token: str) -> None:
    await page.goto(f"{url}/dashboard")
    await page.get_by_label("Secretariat bearer token").fill(token)
    await page.get_by_role("button", name="Show the dashboard").click()


@pytest.mark.timeout(300)
async def test_page_updates_live(browser: Browser, tmp_path: Path) -> None:
    async with run_embedded(tmp_path / "data") as url:
        tokens = LocalIssuer.from_key_file(tmp_path / "data" / "signing-key.pem")
        page = await browser.new_page(viewport={"width": 1100, "height": 1400})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        await _sign_in(page, url, tokens.token(Role.SECRETARIAT))
        await expect(page.locator("#phase-title")).to_have_text(
            "No review phase has been opened yet"
        )
        await expect(page.locator("#status")).to_contain_text("Live")
        await page.evaluate("window.loadedOnce = true")
        charts = page.locator("#chart-instrument")
        before = await charts.screenshot(path=tmp_path / "before.png")

        async with phase_client(url, tokens, timeout=120) as client:
            run = await open_and_draw(
                client, tokens, years="III-VI", seed="browser-test"
            )
            drawn = len(run.targets())
            await expect(page.locator("#total-lots_drawn")).to_have_text(
                re.compile(rf"^{drawn} of \d+$"), timeout=UPDATE_TIMEOUT_MS
            )
            figures = (await client.get("/api/v1/dashboard")).json()

        await expect(page.locator("#total-lots_drawn")).to_be_visible()
        await expect(page.locator("#total-units")).to_have_text(
            str(figures["current"]["units"])
        )
        await expect(page.locator("#phase-title")).to_have_text("Phase of years III-VI")
        await expect(page.locator("#draws-drawn")).to_have_text(
            str(len(run.draw["assignments"]))
        )
        bars = charts.locator("rect[data-stage='lots_drawn']")
        await expect(bars).to_have_count(4)
        after = await charts.screenshot(path=tmp_path / "after.png")
        await page.screenshot(path=tmp_path / "page.png", full_page=True)
        reloaded = await page.evaluate("window.loadedOnce !== true")

    assert errors == []
    assert reloaded is False
    assert after != before
    streams = [u for u in requested if "/api/v1/events?" in u]
    assert streams, "the page opened no event stream"
    assert all("history=false" in u for u in streams)
