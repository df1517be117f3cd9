"""Crash safety of the close (DESIGN §2: clearing and its order are one atomic step).

A real ``pool serve`` gets ``POST /close`` on a group of thousands of intents and is killed with
SIGKILL a few milliseconds later; restarted on the same database, the group is either still open,
untouched, or confirmed with exactly one order whose totals match the clearing and the confirmed
intents. Closing again after the restart is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from app.db.engine import Database
from app.db.migrate import upgrade
from app.db.models import Event, Group, Intent, IntentStatus, Order, OrderLine, Participant
from app.ids import new_id
from tests.e2e.server import Server, start_server
from tests.helpers import ADMIN_KEY, auth

INTENTS = 3000
CONSUMERS = 20
# SIGKILL this share of a measured close's duration after the request is sent: early in the
# transaction, in its middle, and (most likely) after its commit.
KILL_AT = (0.15, 0.6, 1.5)
LADDER = [[10, 1000], [50, 800], [100, 600]]
LIMITS = (1000, 700, 500)  # a third of the intents cannot pay the clearing price of 600


@dataclass
class Stack:
    """The database URL, a test-side handle on it, the server, and the accounts."""

    url: str
    db: Database
    env: dict[str, str]
    logs: Path
    server: Server | None = None
    maker: dict[str, str] | None = None
    consumer_ids: list[uuid.UUID] | None = None

    async def restart(self) -> Server:
        if self.server is not None:
            await self.server.kill()
        self.server = await start_server(self.env, self.logs / "server.log")
        return self.server


@pytest.fixture(params=["postgres", "sqlite"])
def crash_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"


@pytest.fixture
async def stack(crash_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    url = crash_url
    if url.startswith("sqlite"):
        await asyncio.to_thread(upgrade, url)
    env = {
        "POOL_DATABASE_URL": url,
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_RUN_WORKER": "false",
        "POOL_LOG_LEVEL": "warning",
    }
    found = Stack(url, Database(url, pool_size=2), env, tmp_path)
    try:
        await found.restart()
        yield found
    finally:
        if found.server is not None:
            await found.server.stop()
        await found.db.dispose()


async def make_accounts(client: httpx.AsyncClient, role: str, count: int) -> list[dict[str, Any]]:
    async def one(index: int) -> dict[str, Any]:
        body = {"role": role, "name": f"crash-{role}-{index}-{uuid.uuid4().hex[:6]}"}
        response = await client.post("/v1/accounts", json=body, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        account: dict[str, Any] = response.json()
        return account

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def big_campaign(client: httpx.AsyncClient, stack: Stack) -> str:
    """A campaign with INTENTS intents of CONSUMERS consumers.

    The campaign goes through the API; its intents, participants and the group's running totals
    are bulk-inserted with SQL, to save the minutes that thousands of joins would take. The rows
    are the ones a join writes (minus its ``intent.created`` events, which the close never reads).
    """
    assert stack.maker is not None
    assert stack.consumer_ids is not None
    body = {
        "title": f"crash {uuid.uuid4().hex[:8]}",
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "offer": {
            "currency": "EUR",
            "tiers": [{"min_quantity": q, "unit_price": p} for q, p in LADDER],
        },
    }
    response = await client.post("/v1/groups", json=body, headers=stack.maker)
    assert response.status_code == 201, response.text
    group_id = uuid.UUID(response.json()["id"])
    now = datetime.now(UTC)
    intents = [
        {
            "id": new_id(),
            "group_id": group_id,
            "consumer_id": stack.consumer_ids[i % CONSUMERS],
            "quantity": 1 + i % 3,
            "max_unit_price": LIMITS[i % len(LIMITS)],
            "delivery_area": f"AREA-{i % 7}" if i % 5 else None,
            "status": IntentStatus.active,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(INTENTS)
    ]
    per_consumer = INTENTS // CONSUMERS
    async with stack.db.write() as session:
        await session.execute(
            insert(Participant),
            [
                {
                    "group_id": group_id,
                    "consumer_id": consumer,
                    "ref": secrets.token_hex(8),
                    "active_intents": per_consumer,
                }
                for consumer in stack.consumer_ids
            ],
        )
        await session.execute(insert(Intent), intents)
        await session.execute(
            update(Group)
            .where(Group.id == group_id)
            .values(
                total_quantity=sum(i["quantity"] for i in intents),
                intent_count=INTENTS,
                participant_count=CONSUMERS,
            )
        )
        await session.commit()
    return str(group_id)


@dataclass(frozen=True)
class Stored:
    """What the database holds for one group."""

    status: str
    clearing_price: int | None
    accepted_quantity: int | None
    closed_at: datetime | None
    by_status: dict[str, tuple[int, int]]  # status → (intents, units)
    confirmed_price_ok: bool
    orders: list[Order]
    line_count: int
    line_units: int
    events: dict[str, int]


async def stored(db: Database, group_id: str) -> Stored:
    gid = uuid.UUID(group_id)
    async with db.read() as session:
        group = (
            await session.scalars(
                select(Group).where(Group.id == gid).execution_options(populate_existing=True)
            )
        ).one()
        rows = await session.execute(
            select(Intent.status, func.count(), func.sum(Intent.quantity))
            .where(Intent.group_id == gid)
            .group_by(Intent.status)
        )
        by_status = {str(s): (int(n), int(q)) for s, n, q in rows}
        overpaid = await session.scalar(
            select(func.count()).where(
                Intent.group_id == gid,
                Intent.status == IntentStatus.confirmed,
                (Intent.unit_price.is_(None)) | (Intent.unit_price > Intent.max_unit_price),
            )
        )
        orders = list((await session.scalars(select(Order).where(Order.group_id == gid))).all())
        lines, units = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(OrderLine.quantity), 0))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.group_id == gid)
            )
        ).one()
        events = await session.execute(
            select(Event.type, func.count()).where(Event.group_id == gid).group_by(Event.type)
        )
        return Stored(
            status=group.status.value,
            clearing_price=group.clearing_price,
            accepted_quantity=group.accepted_quantity,
            closed_at=group.closed_at,
            by_status=by_status,
            confirmed_price_ok=overpaid == 0,
            orders=orders,
            line_count=int(lines),
            line_units=int(units),
            events={t: int(n) for t, n in events},
        )


def assert_open_and_untouched(state: Stored) -> None:
    assert (state.clearing_price, state.accepted_quantity, state.closed_at) == (None, None, None)
    assert list(state.by_status) == ["active"], state.by_status
    assert state.by_status["active"][0] == INTENTS
    assert state.orders == []
    assert state.line_count == 0
    for kind in ("group.confirmed", "group.failed", "order.created", "intent.confirmed"):
        assert kind not in state.events, state.events


def assert_confirmed_once(state: Stored) -> None:
    [order] = state.orders
    confirmed_count, confirmed_units = state.by_status["confirmed"]
    assert set(state.by_status) == {"confirmed", "rejected"}, state.by_status
    assert sum(n for n, _ in state.by_status.values()) == INTENTS
    assert order.unit_price == state.clearing_price == 600
    assert order.total_quantity == state.accepted_quantity == confirmed_units
    assert order.line_count == confirmed_count == state.line_count
    assert state.line_units == confirmed_units
    assert order.total_amount == order.unit_price * order.total_quantity
    assert sum(area["lines"] for area in order.area_totals) == confirmed_count
    assert sum(area["quantity"] for area in order.area_totals) == confirmed_units
    assert state.confirmed_price_ok
    assert state.events["group.confirmed"] == 1
    assert state.events["order.created"] == 1
    assert state.events["intent.confirmed"] == confirmed_count
    assert state.events["intent.rejected"] == state.by_status["rejected"][0]


async def send_and_kill(server: Server, group_id: str, maker: dict[str, str], ms: int) -> Any:
    """POST /close, SIGKILL the server ``ms`` milliseconds later; the answer, if one came."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        call = asyncio.create_task(client.post(f"/v1/groups/{group_id}/close", headers=maker))
        await asyncio.sleep(ms / 1000)
        await server.kill()
        with contextlib.suppress(httpx.TransportError):
            return await call
    return None


async def test_a_killed_close_is_all_or_nothing(stack: Stack) -> None:
    server = stack.server
    assert server is not None
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        [maker] = await make_accounts(client, "manufacturer", 1)
        stack.maker = auth(maker["api_key"])
        consumers = await make_accounts(client, "consumer", CONSUMERS)
        stack.consumer_ids = [uuid.UUID(c["id"]) for c in consumers]
        groups = [await big_campaign(client, stack) for _ in range(len(KILL_AT) + 1)]
        # How long one close of such a group takes here, uninterrupted (a warm-up as well).
        started = time.perf_counter()
        calibration = await client.post(f"/v1/groups/{groups.pop()}/close", headers=stack.maker)
        took_ms = (time.perf_counter() - started) * 1000
        assert calibration.status_code == 200, calibration.text

    outcomes: list[str] = [f"close takes {took_ms:.0f} ms"]
    for group_id, share in zip(groups, KILL_AT, strict=True):
        ms = max(1, round(share * took_ms))
        answer = await send_and_kill(server, group_id, stack.maker, ms)
        server = await stack.restart()

        state = await stored(stack.db, group_id)
        outcomes.append(f"{ms} ms: {state.status}{' (answered)' if answer else ''}")
        if state.status == "open":
            assert answer is None or answer.status_code >= 500, answer.text
            assert_open_and_untouched(state)
        else:
            assert state.status == "confirmed", outcomes
            assert_confirmed_once(state)
            if answer is not None:
                assert answer.status_code == 200, answer.text
                assert answer.json()["order_id"] == str(state.orders[0].id)

        # After the restart a close (again) settles it, exactly once.
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            url = f"/v1/groups/{group_id}/close"
            first = await client.post(url, headers=stack.maker)
            again = await client.post(url, headers=stack.maker)
            assert first.status_code == again.status_code == 200, (first.text, again.text)
            assert first.json() == again.json()
            assert first.json()["status"] == "confirmed"
            after = await stored(stack.db, group_id)
            assert_confirmed_once(after)
            assert first.json()["order_id"] == str(after.orders[0].id)
            if state.status == "confirmed":
                assert after.orders[0].id == state.orders[0].id
            order = await client.get(f"/v1/orders/{after.orders[0].id}", headers=stack.maker)
            assert order.status_code == 200, order.text
            assert order.json()["line_count"] == after.line_count
    print("kill outcomes:", "; ".join(outcomes))
