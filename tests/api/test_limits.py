"""Rate limits per API key (a fake clock), long-poll caps, and intents per consumer and group."""

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import limits.aio.storage.memory as limits_memory
import pytest

from app.main import create_app
from app.settings import Settings
from tests.api.feed_helpers import campaign, join
from tests.helpers import ADMIN_KEY, MakeAccount, auth


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


Limited = tuple[httpx.AsyncClient, FakeClock, Any]


async def _serve_limited(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, **budgets: Any
) -> AsyncIterator[Limited]:
    clock = FakeClock()
    monkeypatch.setattr(limits_memory, "time", SimpleNamespace(time=clock.time))
    app = create_app(settings.model_copy(update={"rate_limits_enabled": True, **budgets}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
            yield http, clock, app


@pytest.fixture
async def limited(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Limited]:
    async for served in _serve_limited(
        settings,
        monkeypatch,
        rate_limit_reads="5/minute",
        rate_limit_writes="2/minute",
        rate_limit_long_polls="100/minute",
        long_polls_per_key=1,
    ):
        yield served


@pytest.fixture
async def polls_limited(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Limited]:
    async for served in _serve_limited(
        settings, monkeypatch, rate_limit_reads="100/minute", rate_limit_long_polls="1/minute"
    ):
        yield served


async def test_each_key_has_its_own_read_budget_that_refills(limited: Limited, db: Any) -> None:
    client, clock, _ = limited
    admin = auth(ADMIN_KEY)
    answers = [(await client.get("/v1/accounts/me", headers=admin)).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    refused = await client.get("/v1/accounts/me", headers=admin)
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "60"  # five reads at the same instant, 5/minute

    other = await client.post("/v1/accounts", json={"role": "consumer", "name": "x"}, headers=admin)
    assert other.status_code == 201  # writes have their own budget
    fresh_key = auth(other.json()["api_key"])
    assert (await client.get("/v1/accounts/me", headers=fresh_key)).status_code == 200

    clock.now += 61
    assert (await client.get("/v1/accounts/me", headers=admin)).status_code == 200


async def test_writes_have_a_separate_budget(limited: Limited, db: Any) -> None:
    client, clock, _ = limited
    admin = auth(ADMIN_KEY)
    body = {"role": "consumer", "name": "x"}
    answers = [
        (await client.post("/v1/accounts", json=body, headers=admin)).status_code for _ in range(3)
    ]
    assert answers == [201, 201, 429]
    assert (await client.get("/v1/accounts/me", headers=admin)).status_code == 200
    clock.now += 61
    assert (await client.post("/v1/accounts", json=body, headers=admin)).status_code == 201


async def test_retry_after_is_when_the_oldest_hit_leaves_the_window(
    limited: Limited, db: Any
) -> None:
    client, clock, _ = limited
    admin = auth(ADMIN_KEY)
    body = {"role": "consumer", "name": "x"}
    for _ in range(2):  # the write budget, 2/minute, spent at t=0
        assert (await client.post("/v1/accounts", json=body, headers=admin)).status_code == 201
    clock.now += 10
    refused = await client.post("/v1/accounts", json=body, headers=admin)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "50"
    assert "retry in 50 s" in refused.json()["detail"]
    clock.now += 49  # t=59: still inside the window
    assert (await client.post("/v1/accounts", json=body, headers=admin)).status_code == 429
    clock.now += 1.5  # t=60.5: the hits of t=0 have left it
    assert (await client.post("/v1/accounts", json=body, headers=admin)).status_code == 201


async def test_a_key_holds_a_bounded_number_of_long_polls(limited: Limited, db: Any) -> None:
    client, _, app = limited
    admin = auth(ADMIN_KEY)
    first = asyncio.create_task(client.get("/v1/events", params={"wait": 3}, headers=admin))
    for _ in range(200):  # until the first poll is waiting inside the gate
        if app.state.long_polls._open.total():
            break
        await asyncio.sleep(0.01)
    second = await client.get("/v1/events", params={"wait": 2}, headers=admin)
    assert second.status_code == 429
    assert second.json()["code"] == "too_many_long_polls"
    assert second.headers["retry-after"] == "1"
    assert (await first).status_code == 200
    after = await client.get("/v1/events", params={"wait": 1}, headers=admin)
    assert after.status_code == 200


async def test_only_a_poll_that_waits_spends_the_long_poll_budget(
    polls_limited: Limited, db: Any
) -> None:
    client, clock, _ = polls_limited
    admin = auth(ADMIN_KEY)
    for _ in range(3):  # plain reads of the feed are reads
        assert (await client.get("/v1/events", headers=admin)).status_code == 200
    made = await client.post(
        "/v1/accounts", json={"role": "manufacturer", "name": "x"}, headers=admin
    )
    await campaign(client, auth(made.json()["api_key"]))
    for _ in range(3):  # an event is ready: the poll answers at once and waits for nothing
        ready = await client.get("/v1/events", params={"wait": 5}, headers=admin)
        assert ready.status_code == 200
        assert ready.json()["data"]
    tail = ready.json()["next_cursor"]
    waited = await client.get("/v1/events", params={"wait": 1, "after": tail}, headers=admin)
    assert waited.status_code == 200
    assert waited.json()["data"] == []
    again = await client.get("/v1/events", params={"wait": 1, "after": tail}, headers=admin)
    assert again.status_code == 429
    assert again.json()["code"] == "rate_limited"
    assert (await client.get("/v1/events", headers=admin)).status_code == 200
    clock.now += 61
    waited = await client.get("/v1/events", params={"wait": 1, "after": tail}, headers=admin)
    assert waited.status_code == 200


async def test_a_consumer_holds_a_bounded_number_of_intents_per_group(
    client: httpx.AsyncClient, make_account: MakeAccount, settings: Settings
) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    for _ in range(settings.max_intents_per_consumer):
        await join(client, ada["headers"], group["id"], 1, 1000)
    refused = await client.post(
        f"/v1/groups/{group['id']}/intents",
        json={"quantity": 1, "max_unit_price": 1000},
        headers=ada["headers"],
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_intents"
    view = (await client.get(f"/v1/groups/{group['id']}", headers=ada["headers"])).json()
    assert view["intent_count"] == settings.max_intents_per_consumer
