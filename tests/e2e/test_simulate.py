"""``pool demo --simulate`` against a real ``pool serve``: it runs a group's whole life and exits 0
once the order exists; without a server it says so in one line and exits 1."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import POOL, ROOT, Server, child_env, free_port, start_server
from tests.helpers import ADMIN_KEY, auth


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    env = {
        "POOL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'simulate.db'}",
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_LOG_LEVEL": "warning",
    }
    started = await start_server(env, tmp_path / "server.log")
    try:
        yield started
    finally:
        await started.stop()


async def simulate(*args: str, columns: int = 100) -> subprocess.CompletedProcess[str]:
    command = [POOL, "demo", "--simulate", *args]
    return await asyncio.to_thread(
        subprocess.run,
        command,
        cwd=ROOT,
        env=child_env({"COLUMNS": str(columns)}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_simulate_runs_a_group_to_its_order(server: Server) -> None:
    done = await simulate("--url", server.base_url, "--seconds", "3", "--admin-key", ADMIN_KEY)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Price break!" in done.stdout
    assert "clearing price" in done.stdout

    async with httpx.AsyncClient(base_url=server.base_url, headers=auth(ADMIN_KEY)) as api:
        orders = (await api.get("/v1/orders")).json()["data"]
        assert len(orders) == 1, orders
        order = orders[0]
        assert order["unit_price"] == 99_900  # the simulated ladder's last break was reached
        assert order["id"] in done.stdout
        group = (await api.get(f"/v1/groups/{order['group_id']}")).json()
        assert group["status"] == "confirmed"
        assert "simulation" in group["title"]
        clearing = (await api.get(f"/v1/groups/{order['group_id']}/clearing")).json()
        assert clearing["order_id"] == order["id"]
        assert clearing["accepted_quantity"] == order["total_quantity"] < group["total_quantity"]


async def test_simulate_prints_the_live_page_of_its_group(server: Server) -> None:
    """As soon as the campaign opens, whole on one line even in a narrow terminal, so that a
    person can open it in a browser and watch."""
    args = ("--url", server.base_url, "--seconds", "1", "--admin-key", ADMIN_KEY)
    done = await simulate(*args, columns=60)  # narrower than the line: the URL must stay whole
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(rf"{re.escape(server.base_url)}/g/([0-9a-f-]{{36}})\b", done.stdout)
    assert found, done.stdout
    assert found.start() < done.stdout.index("The owner closes the group")

    async with httpx.AsyncClient(base_url=server.base_url) as browser:
        page = await browser.get(found.group(0).removeprefix(server.base_url))
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "(simulation " in page.text  # the simulated campaign's title


async def test_simulate_without_a_server_says_so() -> None:
    done = await simulate("--url", f"http://127.0.0.1:{free_port()}", "--seconds", "0")
    assert done.returncode == 1
    assert "no Pool server answers" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
