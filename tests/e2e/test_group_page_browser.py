"""The public group page in a real browser: headless Chromium (the system's ``chromium``, driven by
Playwright; no browser is ever downloaded) against a real ``pool serve`` on SQLite.

A consumer opens ``/g/{id}#key=…`` (a fragment: the key never reaches the server), pledges through
the page's form, sees an error's ``detail``, and watches the price and the progress bar move when
another consumer joins through the API, without a reload (the page follows the group's Server-Sent
Events); when the group closes, the page shows its outcome. Screenshots go to
``test-artifacts/``; ``docs/group-page.png`` is written when missing or with
``POOL_UPDATE_SCREENSHOT=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ROOT, Server, start_server
from tests.helpers import ADMIN_KEY, IN_CI, auth

CHROMIUM = os.environ.get("POOL_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SHOT = ROOT / "docs" / "group-page.png"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 860, "height": 1180}


def _browser_or_skip() -> Any:
    """Playwright's async API, or skip (outside CI) / fail (CI=true) with the reason."""
    reason = None
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason is None and not Path(CHROMIUM).is_file():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(f"needs a browser: {reason}")
    return async_playwright


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    env = {
        "POOL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'page.db'}",
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_RUN_WORKER": "false",
        "POOL_LOG_LEVEL": "warning",
    }
    running = await start_server(env, tmp_path / "server.log")
    try:
        yield running
    finally:
        code = await running.stop()  # uvicorn ends by re-raising the SIGTERM it handled
        assert code in (0, -15), f"pool serve exited with {code}:\n{running.output()}"


async def _account(http: httpx.AsyncClient, role: str, name: str) -> str:
    made = await http.post(
        "/v1/accounts", json={"role": role, "name": name}, headers=auth(ADMIN_KEY)
    )
    assert made.status_code == 201, made.text
    key: str = made.json()["api_key"]
    return key


async def _join(http: httpx.AsyncClient, key: str, group_id: str, quantity: int) -> None:
    joined = await http.post(
        f"/v1/groups/{group_id}/intents", json={"quantity": quantity}, headers=auth(key)
    )
    assert joined.status_code == 201, joined.text


async def _campaign(http: httpx.AsyncClient, maker: str) -> dict[str, Any]:
    body = {
        "title": "Acme Trail 29 mountain bike",
        "description": "Full-suspension trail bike, size M or L.\nThe more of us, the cheaper.",
        "category": "bikes",
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=9, hours=5)).isoformat(),
        "max_quantity": 500,
        "offer": {
            "currency": "EUR",
            "tiers": [
                {"min_quantity": 10, "unit_price": 89900},
                {"min_quantity": 25, "unit_price": 79900},
                {"min_quantity": 50, "unit_price": 69900},
                {"min_quantity": 100, "unit_price": 59900},
            ],
        },
    }
    made = await http.post("/v1/groups", json=body, headers=auth(maker))
    assert made.status_code == 201, made.text
    group: dict[str, Any] = made.json()
    return group


async def test_a_consumer_pledges_on_the_page_and_sees_the_group_move_live(
    server: Server,
) -> None:
    async_playwright = _browser_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        maker = await _account(http, "manufacturer", "Acme Bikes")
        ada = await _account(http, "consumer", "Ada Lovelace")
        grace = await _account(http, "consumer", "Grace Hopper")
        group = await _campaign(http, maker)
        await _join(http, grace, group["id"], 11)

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport=PHONE)
                loads: list[str] = []
                page.on("load", lambda _page: loads.append("load"))
                sent: list[str] = []  # every URL the browser asked for
                page.on("request", lambda request: sent.append(request.url))
                await page.goto(f"{server.base_url}/g/{group['id']}#key={ada}")
                assert "key=" not in page.url, "the key stays in the address bar"
                assert "#" not in page.url
                assert await page.input_value("#key") == ada
                await page.wait_for_function(
                    "document.getElementById('live').textContent.startsWith('Live')"
                )
                assert await page.text_content("#price") == "899.00 EUR"
                assert await page.text_content("#next") == (
                    "14 more units and everyone pays 799.00 EUR."
                )

                # An error's problem+json detail is shown: the cap is 500 units.
                await page.fill("#quantity", "600")
                await page.click("#join-button")
                error = page.locator("#join-error")
                await error.filter(has_text="The cap is 500 units").wait_for()

                # The pledge: 18 units at most 850.00 EUR each.
                await page.fill("#quantity", "18")
                await page.fill("#limit", "850.00")
                await page.click("#join-button")
                await (
                    page.locator("#join-result").filter(has_text="You pledged 18 units").wait_for()
                )
                assert await page.text_content("#join-error") == ""
                assert "850.00 EUR" in (await page.text_content("#join-result") or "")
                await _wait_text(page, "#total", "29")
                assert await page.text_content("#price") == "799.00 EUR"
                assert await page.text_content("#participants") == "2"

                # Another consumer joins through the API: the open page follows, no reload.
                bob = await _account(http, "consumer", "Bob Builder")
                await _join(http, bob, group["id"], 14)
                await _wait_text(page, "#total", "43")
                assert await page.text_content("#next") == (
                    "7 more units and everyone pays 699.00 EUR."
                )
                assert await page.get_attribute("#progress", "aria-valuenow") == "72"
                current = page.locator("#ladder li[aria-current='step'] .p")
                assert await current.text_content() == "799.00 EUR"
                assert await page.text_content("#participants") == "3"
                assert loads == ["load"], "the page reloaded"

                text = await page.inner_text("body")
                for name in ("Ada", "Grace", "Bob", "Acme Bikes"):
                    assert name not in text, f"the page shows {name!r}"
                width = await page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert width <= 0, "the page scrolls sideways on a phone"
                await page.locator("#quantity").blur()
                phone_shot = ARTIFACTS / "group-page-phone.png"
                await page.screenshot(path=phone_shot, full_page=True, animations="disabled")

                await page.set_viewport_size(DESKTOP)
                await page.fill("#limit", "")
                await page.fill("#quantity", "1")
                await page.locator("#quantity").blur()
                shot = ARTIFACTS / "group-page.png"
                await page.screenshot(path=shot, full_page=True, animations="disabled")
                if not DOCS_SHOT.exists() or os.environ.get("POOL_UPDATE_SCREENSHOT") == "1":
                    DOCS_SHOT.parent.mkdir(exist_ok=True)
                    shutil.copyfile(shot, DOCS_SHOT)

                # The owner closes the group: the page shows the outcome and stops listening.
                closed = await http.post(f"/v1/groups/{group['id']}/close", headers=auth(maker))
                assert closed.status_code == 200, closed.text
                await _wait_text(page, "#status", "Confirmed")
                assert await page.is_hidden("#join-section")
                await _wait_text(page, "#live", "This group has closed.")
                assert await page.text_content("#next") == "Closed: everyone pays 799.00 EUR."
                assert await page.text_content("#price-heading") == "Final price"
                assert await page.is_hidden("#progress"), "no bar to a next break once closed"
                assert await current.text_content() == "799.00 EUR"
                assert loads == ["load"], "the page reloaded"
                assert sent, "requests were seen"
                assert not [url for url in sent if ada in url], "a URL carried the key"
            finally:
                await browser.close()


async def test_a_key_in_the_query_string_is_not_taken(server: Server) -> None:
    """Old links (``?key=``) sent the key to the server: the page uses none and drops it."""
    async_playwright = _browser_or_skip()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        group = await _campaign(http, await _account(http, "manufacturer", "Acme Bikes"))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport=PHONE)
                await page.goto(f"{server.base_url}/g/{group['id']}?key=pool_con_from-the-query")
                await page.wait_for_function("!location.search")
                assert page.url == f"{server.base_url}/g/{group['id']}"
                assert await page.input_value("#key") == ""
            finally:
                await browser.close()


async def _wait_text(page: Any, selector: str, text: str) -> None:
    await page.locator(selector).filter(has_text=text).wait_for(timeout=10_000)
    assert (await page.text_content(selector) or "").strip() == text


async def test_the_index_links_the_open_groups(server: Server) -> None:
    async_playwright = _browser_or_skip()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        group = await _campaign(http, await _account(http, "manufacturer", "Acme Bikes"))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport=PHONE)
                await page.goto(server.base_url + "/")
                assert page.url.endswith("/g")
                await page.click(f"a[href='/g/{group['id']}']")
                await page.wait_for_url(f"**/g/{group['id']}")
                assert await page.text_content("h1") == group["title"]
                assert await page.is_visible("#join"), "the form shows once the script ran"
            finally:
                await browser.close()
