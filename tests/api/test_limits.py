"""Rate limits per API key and failed authentications per address (a fake clock), long-poll
caps, and intents per consumer and group."""

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import limits.aio.storage.memory as limits_memory
import pytest

from app.accounts.service import authenticate
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


@pytest.fixture
async def logins_limited(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Limited]:
    async for served in _serve_limited(settings, monkeypatch, rate_limit_failed_auth="3/minute"):
        yield served


def _from(app: Any, host: str) -> httpx.AsyncClient:
    """A client of ``app`` whose requests come from ``host`` (the ASGI scope's client)."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://pool.test")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys authentication looked up."""
    seen: list[str] = []

    async def counted(db: Any, raw_key: str, cache: Any = None) -> Any:
        seen.append(raw_key)
        return await authenticate(db, raw_key, cache)

    monkeypatch.setattr("app.accounts.auth.authenticate", counted)
    return seen


async def test_failed_logins_spend_the_budget_of_their_address(
    logins_limited: Limited, lookups: list[str], db: Any
) -> None:
    _, clock, app = logins_limited
    guesses = [auth(f"pool_con_guess-{n}") for n in range(5)]
    async with _from(app, "203.0.113.9") as attacker:
        answers = [(await attacker.get("/v1/accounts/me", headers=g)).status_code for g in guesses]
        assert answers == [401, 401, 401, 429, 429]
        assert len(lookups) == 3, "a refused guess is never looked up"
        refused = await attacker.get("/v1/accounts/me", headers=auth(ADMIN_KEY))
        assert refused.status_code == 429, "the address is refused, whatever key it sends"
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "60"
        assert "failed authentications" in refused.json()["detail"]
        spoofed = {**guesses[0], "X-Forwarded-For": "198.51.100.1"}
        assert (await attacker.get("/v1/accounts/me", headers=spoofed)).status_code == 429
        assert len(lookups) == 3

        clock.now += 61
        assert (await attacker.get("/v1/accounts/me", headers=auth(ADMIN_KEY))).status_code == 200
        assert (await attacker.get("/v1/accounts/me", headers=guesses[0])).status_code == 401


async def test_requests_without_a_key_count_as_failures(logins_limited: Limited, db: Any) -> None:
    _, _, app = logins_limited
    async with _from(app, "203.0.113.10") as anonymous:
        answers = [(await anonymous.get("/v1/groups")).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


async def test_other_addresses_and_good_keys_are_not_held_back(
    logins_limited: Limited, db: Any
) -> None:
    _, _, app = logins_limited
    admin, guess = auth(ADMIN_KEY), auth("pool_con_guess")
    async with _from(app, "203.0.113.9") as attacker, _from(app, "198.51.100.7") as user:
        for _ in range(10):  # successes spend nothing of the failure budget
            assert (await user.get("/v1/accounts/me", headers=admin)).status_code == 200
        for _ in range(4):
            await attacker.get("/v1/accounts/me", headers=guess)
        assert (await attacker.get("/v1/accounts/me", headers=admin)).status_code == 429
        assert (await user.get("/v1/accounts/me", headers=admin)).status_code == 200
        user_answers = [
            (await user.get("/v1/accounts/me", headers=guess)).status_code for _ in "ab"
        ]
        assert user_answers == [401, 401], "its own failures still have budget left"
        assert (await user.get("/v1/accounts/me", headers=admin)).status_code == 200


async def test_an_ipv6_host_is_counted_by_its_64_block(logins_limited: Limited, db: Any) -> None:
    _, _, app = logins_limited
    guess = auth("pool_con_guess")
    for n in range(3):  # three addresses of one /64
        async with _from(app, f"2001:db8:1:2::{n + 1}") as hopper:
            assert (await hopper.get("/v1/accounts/me", headers=guess)).status_code == 401
    async with _from(app, "2001:db8:1:2:ffff::9") as hopper:
        assert (await hopper.get("/v1/accounts/me", headers=guess)).status_code == 429
    async with _from(app, "2001:db8:1:3::1") as neighbour:
        assert (await neighbour.get("/v1/accounts/me", headers=guess)).status_code == 401


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
