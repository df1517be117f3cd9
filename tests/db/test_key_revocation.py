"""A key revoked through one process fails at once in every other (PostgreSQL NOTIFY), although
each serves known keys from its own cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.accounts.keys import hash_key
from app.main import create_app
from tests.conftest import test_settings
from tests.helpers import ADMIN_KEY, auth


@asynccontextmanager
async def process(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """An app of its own (its own pool, key cache and LISTEN), as another process would be."""
    app = create_app(test_settings(url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as client:
            for _ in range(100):  # the cache turns on once the LISTEN is up
                if app.state.key_cache.enabled:
                    break
                await asyncio.sleep(0.05)
            assert app.state.key_cache.enabled
            yield client, app


async def test_a_key_revoked_in_one_process_fails_at_once_in_another(postgres_url: str) -> None:
    async with process(postgres_url) as (one, _), process(postgres_url) as (other, other_app):
        made = await one.post(
            "/v1/accounts", json={"role": "consumer", "name": "Ada"}, headers=auth(ADMIN_KEY)
        )
        key, account = made.json()["api_key"], made.json()["id"]
        assert (await other.get("/v1/accounts/me", headers=auth(key))).status_code == 200
        assert other_app.state.key_cache.get(hash_key(key)) is not None  # cached there now

        listed = await one.get(f"/v1/accounts/{account}/keys", headers=auth(ADMIN_KEY))
        key_id = listed.json()["data"][0]["id"]
        assert (await one.delete(f"/v1/keys/{key_id}", headers=auth(ADMIN_KEY))).status_code == 204

        # The NOTIFY is delivered on the revoking commit; give the other LISTEN a moment.
        for _ in range(50):
            answer = await other.get("/v1/accounts/me", headers=auth(key))
            if answer.status_code == 401:
                break
            await asyncio.sleep(0.02)
        assert answer.status_code == 401
        assert (await one.get("/v1/accounts/me", headers=auth(key))).status_code == 401
