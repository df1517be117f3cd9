"""A real ``pool serve`` asked to stop (SIGTERM) while group streams are open ends them at once
and exits, instead of waiting out uvicorn's graceful-shutdown timeout (10 s)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.e2e.server import start_server
from tests.helpers import ADMIN_KEY, auth


async def test_open_streams_do_not_hold_up_a_graceful_shutdown(tmp_path: Path) -> None:
    env = {
        "POOL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}",
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_LOG_LEVEL": "warning",
    }
    server = await start_server(env, tmp_path / "server.log")
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            made = await http.post(
                "/v1/accounts", json={"role": "manufacturer", "name": "M"}, headers=auth(ADMIN_KEY)
            )
            body = {
                "title": "Stream until stopped",
                "currency": "EUR",
                "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                "offer": {"currency": "EUR", "tiers": [{"min_quantity": 1, "unit_price": 100}]},
            }
            group = await http.post("/v1/groups", json=body, headers=auth(made.json()["api_key"]))
            url = f"/v1/groups/{group.json()['id']}/stream"

            async def follow() -> str:
                seen = ""
                async with http.stream("GET", url) as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        seen += line + "\n"
                return seen

            streams = [asyncio.create_task(follow()) for _ in range(3)]
            await asyncio.sleep(0.5)
            started = time.monotonic()
            code = await server.stop(grace=15)
            took = time.monotonic() - started
            ended = await asyncio.wait_for(asyncio.gather(*streams), 5)
    finally:
        await server.kill()
    assert code in (0, -15), f"pool serve exited with {code}:\n{server.output()}"
    assert took < 5, f"the shutdown waited {took:.1f} s for open streams:\n{server.output()}"
    assert all("event: group" in text for text in ended)
    assert "Cancel" not in server.output(), "streams were cancelled, not ended"
