"""The close happens exactly once on PostgreSQL with real commits (DESIGN §2, §5): concurrent
``POST /close`` calls racing the in-app worker at the deadline, and two ``pool worker``
processes sharing a batch of due groups."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import Event, Group, GroupStatus, Intent, Order, OrderLine
from app.main import create_app
from tests import conftest
from tests.e2e.server import Process, spawn
from tests.helpers import ADMIN_KEY, auth

TIERS = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]
# 8 pledges of 10 units: at 800 the six limits of 800 or more hold 60 units, price(60) = 800.
LIMITS = (1000, 800, 700, 1000, 800, 700, 1000, 800)
CLOSERS = 10


@dataclass
class Service:
    client: httpx.AsyncClient
    db: Database


async def serve(postgres_url: str, **overrides: Any) -> AsyncIterator[Service]:
    settings = conftest.test_settings(postgres_url, db_pool_size=20, **overrides)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        # A crash must come back as the 500 a client would see, so the tests can count it.
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://pool.test", timeout=60
        ) as client:
            yield Service(client, application.state.db)


@pytest.fixture
async def with_worker(postgres_url: str) -> AsyncIterator[Service]:
    """The app with its lifespan's deadline worker polling every 50 ms."""
    async for service in serve(postgres_url, run_worker=True, worker_poll_seconds=0.05):
        yield service


@pytest.fixture
async def without_worker(postgres_url: str) -> AsyncIterator[Service]:
    async for service in serve(postgres_url, run_worker=False):
        yield service


@pytest.fixture
def worker_log() -> Iterator[list[str]]:
    """The ids of the groups the in-app worker reports it closed."""
    logger = logging.getLogger("pool.worker")
    closed: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found = CLOSED_LINE.search(record.getMessage())
            if found:
                closed.append(found.group(1))

    recorder = Recorder()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield closed
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
        logger.propagate = propagate


CLOSED_LINE = re.compile(r"closed group ([0-9a-f-]{36}) at its deadline")


async def gather_limited(calls: list[Callable[[], Awaitable[Any]]], width: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(width)

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(run(c) for c in calls)))


async def accounts(client: httpx.AsyncClient, role: str, count: int) -> list[dict[str, str]]:
    async def one() -> dict[str, str]:
        body = {"role": role, "name": f"close-race-{role}-{uuid.uuid4().hex[:8]}"}
        response = await client.post("/v1/accounts", json=body, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        return auth(response.json()["api_key"])

    return await gather_limited([one for _ in range(count)])


async def campaign(
    client: httpx.AsyncClient,
    maker: dict[str, str],
    consumers: list[dict[str, str]],
    pledges: list[tuple[int, int]],
) -> str:
    """A campaign on the DESIGN §3 ladder with one join per ``(quantity, limit)``."""
    body = {
        "title": f"close race {uuid.uuid4().hex[:8]}",
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "offer": {"currency": "EUR", "tiers": TIERS},
    }
    response = await client.post("/v1/groups", json=body, headers=maker)
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]

    async def join(index: int, quantity: int, limit: int) -> None:
        answer = await client.post(
            f"/v1/groups/{group_id}/intents",
            json={"quantity": quantity, "max_unit_price": limit},
            headers=consumers[index % len(consumers)],
        )
        assert answer.status_code == 201, answer.text

    await gather_limited([lambda i=i, q=q, p=p: join(i, q, p) for i, (q, p) in enumerate(pledges)])
    return group_id


async def set_deadlines(db: Database, group_ids: list[str], delta: timedelta) -> None:
    """Move the groups' deadline to now + ``delta`` straight in the database: the API refuses a
    deadline less than a second ahead, and waiting for one would only slow the test down."""
    async with db.write() as session:
        await session.execute(
            update(Group)
            .where(Group.id.in_([uuid.UUID(g) for g in group_ids]))
            .values(deadline=datetime.now(UTC) + delta)
        )
        await session.commit()


async def per_group(db: Database, group_ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each group: status, orders, order lines, intents per status, events per type."""
    ids = [uuid.UUID(g) for g in group_ids]
    found: dict[str, dict[str, Any]] = {
        g: {"orders": 0, "lines": 0, "intents": Counter(), "events": Counter()} for g in group_ids
    }
    async with db.read() as session:
        for gid, status in await session.execute(
            select(Group.id, Group.status).where(Group.id.in_(ids))
        ):
            found[str(gid)]["status"] = str(status)
        for gid, n in await session.execute(
            select(Order.group_id, func.count())
            .where(Order.group_id.in_(ids))
            .group_by(Order.group_id)
        ):
            found[str(gid)]["orders"] = int(n)
        for gid, n in await session.execute(
            select(Order.group_id, func.count())
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.group_id.in_(ids))
            .group_by(Order.group_id)
        ):
            found[str(gid)]["lines"] = int(n)
        for gid, status, n in await session.execute(
            select(Intent.group_id, Intent.status, func.count())
            .where(Intent.group_id.in_(ids))
            .group_by(Intent.group_id, Intent.status)
        ):
            found[str(gid)]["intents"][str(status)] = int(n)
        for gid, kind, n in await session.execute(
            select(Event.group_id, Event.type, func.count())
            .where(Event.group_id.in_(ids))
            .group_by(Event.group_id, Event.type)
        ):
            found[str(gid)]["events"][kind] = int(n)
    return found


@pytest.mark.parametrize(
    "deadline_in", [-0.01, 1.0], ids=["deadline-just-passed", "deadline-a-second-ahead"]
)
async def test_concurrent_closes_and_the_worker_clear_each_group_once(
    with_worker: Service, worker_log: list[str], deadline_in: float
) -> None:
    client, db = with_worker.client, with_worker.db
    [maker] = await accounts(client, "manufacturer", 1)
    consumers = await accounts(client, "consumer", len(LIMITS))
    pledges = [(10, limit) for limit in LIMITS]
    groups = [await campaign(client, maker, consumers, pledges) for _ in range(3)]
    closers = [maker, auth(ADMIN_KEY)]

    async def close(group_id: str, index: int) -> httpx.Response:
        # Spread over ~70 ms (the worker polls every 50), so that some calls land before the
        # worker's pass, some with it and some after it.
        await asyncio.sleep(index * 7 / 1000)
        return await client.post(
            f"/v1/groups/{group_id}/close", headers=closers[index % len(closers)]
        )

    answers: list[httpx.Response] = []
    for group_id in groups:  # one group at a time: 10 closes in flight, plus the worker
        await set_deadlines(db, [group_id], timedelta(seconds=deadline_in))
        if deadline_in > 0:  # start firing a little before the deadline, go on past it
            await asyncio.sleep(deadline_in - 0.03)
        answers += await asyncio.gather(*(close(group_id, i) for i in range(CLOSERS)))
    await asyncio.sleep(0.2)  # let the worker finish a pass it may be in

    found = await per_group(db, groups)
    for n, group_id in enumerate(groups):
        mine = answers[n * CLOSERS : (n + 1) * CLOSERS]
        assert [a.status_code for a in mine] == [200] * CLOSERS, [a.text for a in mine]
        bodies = [a.json() for a in mine]
        assert all(body == bodies[0] for body in bodies), bodies
        assert (bodies[0]["status"], bodies[0]["unit_price"], bodies[0]["accepted_quantity"]) == (
            "confirmed",
            800,
            60,
        )
        state = found[group_id]
        assert state["status"] == "confirmed"
        assert (state["orders"], state["lines"]) == (1, 6), state
        assert state["intents"] == Counter(confirmed=6, rejected=2), state
        events = state["events"]
        assert (events["group.confirmed"], events["order.created"]) == (1, 1), events
        assert (events["intent.confirmed"], events["intent.rejected"]) == (6, 2), events
        assert events["group.failed"] == 0
    # The worker reports each group it closed once, and only groups it could close.
    assert all(n == 1 for n in Counter(worker_log).values()), worker_log
    print(f"the worker closed {len(set(worker_log) & set(groups))} of {len(groups)} groups")


GROUPS = 40


async def wait_for(predicate: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_two_worker_processes_close_each_due_group_once(
    without_worker: Service, postgres_url: str, tmp_path: Path
) -> None:
    client, db = without_worker.client, without_worker.db
    [maker] = await accounts(client, "manufacturer", 1)
    consumers = await accounts(client, "consumer", 6)
    # Every fourth group pledges 6 units in all, below the first tier's 10: it fails.
    plans = [[(2, 1000)] * 3 if n % 4 == 0 else [(20, 1000)] * 3 for n in range(GROUPS)]
    groups = await gather_limited(
        [lambda plan=plan: campaign(client, maker, consumers, plan) for plan in plans], width=4
    )
    env = {
        "POOL_DATABASE_URL": postgres_url,
        "POOL_WORKER_POLL_SECONDS": "0.1",
        "POOL_LOG_LEVEL": "info",
    }
    workers: list[Process] = []
    try:
        workers += [await spawn("worker", env, tmp_path / f"worker-{n}.log") for n in "ab"]

        async def both_started() -> bool:
            for worker in workers:
                assert worker.process.returncode is None, worker.output()
            return all("worker started" in w.output() for w in workers)

        await wait_for(both_started, 30, "both workers to start")
        # All 40 become due in one commit, so both workers find work at once.
        await set_deadlines(db, groups, timedelta(seconds=-1))

        async def all_closed() -> bool:
            async with db.read() as session:
                still_open = await session.scalar(
                    select(func.count()).where(
                        Group.id.in_([uuid.UUID(g) for g in groups]),
                        Group.status == GroupStatus.open,
                    )
                )
            return still_open == 0

        await wait_for(all_closed, 30, "the workers to close every group")
        started = time.monotonic()
        codes = [await worker.stop(grace=10) for worker in workers]
        stopped_in = time.monotonic() - started
    finally:
        for worker in workers:
            await worker.kill()

    logs = [worker.output() for worker in workers]
    assert codes == [0, 0], logs
    assert stopped_in < 10, logs
    assert all("worker stopped" in log for log in logs), logs
    assert all("Traceback" not in log for log in logs), logs

    closed_by = [Counter(CLOSED_LINE.findall(log)) for log in logs]
    mine = set(groups)
    counts = closed_by[0] + closed_by[1]
    assert {g: counts[g] for g in groups} == dict.fromkeys(groups, 1), closed_by
    assert not (set(closed_by[0]) & set(closed_by[1]) & mine), "a group closed by both workers"

    found = await per_group(db, groups)
    for group_id, plan in zip(groups, plans, strict=True):
        state, events = found[group_id], found[group_id]["events"]
        if sum(q for q, _ in plan) < 10:
            assert state["status"] == "failed", state
            assert (state["orders"], events["group.failed"], events["group.confirmed"]) == (0, 1, 0)
            assert state["intents"] == Counter(released=3), state
            assert events["intent.released"] == 3
        else:
            assert state["status"] == "confirmed", state
            assert (state["orders"], state["lines"]) == (1, 3), state
            assert (events["group.confirmed"], events["group.failed"]) == (1, 0), events
            assert events["order.created"] == 1
            assert (state["intents"], events["intent.confirmed"]) == (Counter(confirmed=3), 3)
    print("groups closed per worker:", [sum(c[g] for g in groups) for c in closed_by])
