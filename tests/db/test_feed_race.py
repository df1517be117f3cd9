"""The feed never skips an event that commits late: many writers at once on PostgreSQL, one
reader paging with ``after`` meanwhile, and at the end the reader has every event exactly once."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.models import Event
from app.main import create_app
from tests.api.feed_helpers import campaign, join
from tests.conftest import test_settings
from tests.helpers import ADMIN_KEY, auth


@pytest.fixture
async def pg_client(postgres_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(test_settings(postgres_url, db_pool_size=20))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
            yield http, app


async def test_a_reader_paging_during_concurrent_writes_misses_nothing(
    pg_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = pg_client
    admin = auth(ADMIN_KEY)

    async def account(role: str) -> dict[str, str]:
        response = await client.post(
            "/v1/accounts", json={"role": role, "name": role}, headers=admin
        )
        return auth(response.json()["api_key"])

    maker = await account("manufacturer")
    consumers = [await account("consumer") for _ in range(20)]
    groups = [await campaign(client, maker) for _ in range(5)]
    seen: list[int] = []
    cursor: str | None = None
    writing = True

    async def read_while_writing() -> None:
        nonlocal cursor
        while True:
            was_writing = writing
            params: dict[str, Any] = {"limit": 7, **({"after": cursor} if cursor else {})}
            page = (await client.get("/v1/events", params=params, headers=admin)).json()
            seen.extend(event["id"] for event in page["data"])
            cursor = page["next_cursor"]
            if not page["data"] and not was_writing:
                return
            if not page["data"]:
                await asyncio.sleep(0.01)

    async def write() -> None:
        nonlocal writing
        joins = [
            join(client, consumers[i % 20], groups[i % 5]["id"], 1 + i % 3, 1000)
            for i in range(400)
        ]
        await asyncio.gather(*joins)
        writing = False

    await asyncio.gather(read_while_writing(), write())
    async with app.state.db.read() as session:
        stored = list((await session.scalars(select(Event.id))).all())
    # Drain what the horizon still held back when the writers stopped (other write transactions
    # on the same server delay the feed; they never reorder it).
    deadline = asyncio.get_running_loop().time() + 30
    while len(seen) < len(stored) and asyncio.get_running_loop().time() < deadline:
        params = {"limit": 500, "wait": 1, **({"after": cursor} if cursor else {})}
        page = (await client.get("/v1/events", params=params, headers=admin)).json()
        seen.extend(event["id"] for event in page["data"])
        cursor = page["next_cursor"]
    assert len(stored) >= 400
    assert len(seen) == len(set(seen)), "an event was served twice"
    missing = sorted(set(stored) - set(seen))
    assert not missing, f"skipped {len(missing)} events, e.g. {missing[:10]}; read {len(seen)}"
    assert sorted(seen) == sorted(stored)
