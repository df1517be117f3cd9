"""``POOL_WORKERS``: ``pool serve`` runs several API processes on one port, each with its own
pool and key cache, and they agree on everything (SQLite here; PostgreSQL in the benchmarks)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.e2e.server import start_server
from tests.helpers import ADMIN_KEY, auth


def server_processes(parent: int) -> int:
    """How many processes uvicorn's supervisor ``parent`` has started to serve (spawned)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return sum("spawn_main" in Path(f"/proc/{pid}/cmdline").read_text() for pid in children)


async def test_two_processes_serve_one_port_and_a_revoked_key_fails_in_both(
    tmp_path: Path,
) -> None:
    env = {
        "POOL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}",
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_LOG_LEVEL": "warning",
        "POOL_WORKERS": "2",
    }
    server = await start_server(env, tmp_path / "server.log", within=60)
    try:
        for _ in range(200):  # the second process may still be starting
            if server_processes(server.process.pid) == 2:
                break
            await asyncio.sleep(0.1)
        assert server_processes(server.process.pid) == 2, server.output()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            made = await http.post(
                "/v1/accounts", json={"role": "consumer", "name": "Ada"}, headers=auth(ADMIN_KEY)
            )
            key, account = made.json()["api_key"], made.json()["id"]

            async def me() -> int:
                # a connection each, so that both processes take some of them
                async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as one:
                    return (await one.get("/v1/accounts/me", headers=auth(key))).status_code

            assert set(await asyncio.gather(*(me() for _ in range(20)))) == {200}
            keys = (await http.get(f"/v1/accounts/{account}/keys", headers=auth(key))).json()
            revoked = await http.delete(f"/v1/keys/{keys['data'][0]['id']}", headers=auth(key))
            assert revoked.status_code == 204
            await asyncio.sleep(1.1)  # SQLite: another process's cache entry lives a second
            assert set(await asyncio.gather(*(me() for _ in range(20)))) == {401}
    finally:
        assert await server.stop() == 0, server.output()
