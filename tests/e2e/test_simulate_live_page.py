"""``pool demo --simulate`` prints the public page of the group it drives as soon as the campaign
opens, whole on one line, so that a person can open it in a browser and watch."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import POOL, ROOT, Server, child_env, start_server
from tests.helpers import ADMIN_KEY


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


async def test_simulate_prints_the_live_page_of_its_group(server: Server) -> None:
    command = [POOL, "demo", "--simulate", "--url", server.base_url, "--seconds", "1"]
    done = await asyncio.to_thread(
        subprocess.run,
        [*command, "--admin-key", ADMIN_KEY],
        cwd=ROOT,
        env=child_env({"COLUMNS": "60"}),  # narrower than the line: the URL must stay whole
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(rf"{re.escape(server.base_url)}/g/([0-9a-f-]{{36}})\b", done.stdout)
    assert found, done.stdout
    assert found.start() < done.stdout.index("The owner closes the group")

    async with httpx.AsyncClient(base_url=server.base_url) as browser:
        page = await browser.get(found.group(0).removeprefix(server.base_url))
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "(simulation " in page.text  # the simulated campaign's title
