"""The deadline worker's loop (DESIGN §2, §7): a group whose close keeps failing backs off while
the other due groups are closed, and a stop request ends a batch of closes between two closes."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.closing import repository
from app.db.engine import Database
from app.settings import Settings
from app.worker.loop import Backoff, Worker
from tests.api.closing_helpers import set_deadline, start_campaign
from tests.api.groups_helpers import read_group
from tests.helpers import MakeAccount


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def status(client: httpx.AsyncClient, maker: Any, group_id: str) -> str:
    value: str = (await read_group(client, maker, group_id))["status"]
    return value


async def test_a_group_whose_close_fails_backs_off_and_the_others_still_close(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    maker = await make_account("manufacturer")
    broken = await start_campaign(client, make_account, [(60, None, None)], maker=maker)
    later = await start_campaign(client, make_account, [(60, None, None)], maker=maker)
    await set_deadline(db, broken.id, timedelta(minutes=-5))  # the earliest: claimed first
    await set_deadline(db, later.id, timedelta(seconds=-5))

    tries: list[float] = []
    clearing_demand = repository.demand_by_limit

    async def demand(session: AsyncSession, group_id: uuid.UUID) -> list[tuple[int, int]]:
        if group_id == uuid.UUID(broken.id):
            tries.append(time.monotonic())
            raise RuntimeError("the clearing of this group breaks")
        return await clearing_demand(session, group_id)

    monkeypatch.setattr(repository, "demand_by_limit", demand)
    worker = Worker(db, settings.model_copy(update={"worker_poll_seconds": 0.05}))
    worker.backoff = Backoff(first=0.2, most=1.0)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:

        async def later_closed() -> bool:
            return await status(client, maker, later.id) != "open"

        await eventually(later_closed, 10, "the later due group to be closed")
        assert await status(client, maker, later.id) == "confirmed"
        assert await status(client, maker, broken.id) == "open"

        async def retried() -> bool:
            return len(tries) >= 3

        await eventually(retried, 10, "the failing group to be tried again")
        gaps = [b - a for a, b in itertools.pairwise(tries)]
        assert min(gaps) >= 0.2 * 0.9  # it backs off rather than being claimed every pass

        monkeypatch.undo()  # the fault is fixed: the next try closes it

        async def broken_closed() -> bool:
            return await status(client, maker, broken.id) != "open"

        await eventually(broken_closed, 10, "the once failing group to be closed")
        assert await status(client, maker, broken.id) == "confirmed"
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


def test_the_backoff_doubles_up_to_its_ceiling_and_forgets_a_success() -> None:
    backoff = Backoff(first=5, most=30)
    group, other = uuid.uuid4(), uuid.uuid4()
    assert [backoff.failed(group, 100.0) for _ in range(5)] == [5, 10, 20, 30, 30]
    assert backoff.waiting(100.0) == [group]
    assert backoff.waiting(130.0) == []  # due again
    backoff.failed(other, 100.0)
    backoff.succeeded(group)
    assert backoff.failed(group, 200.0) == 5  # a success starts it over
    assert backoff.waiting(200.0) == [group]  # ``other`` long past its retry is forgotten
    assert backoff.failed(other, 200.0) == 5


async def test_a_stop_request_ends_a_batch_of_closes_between_two_closes(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    maker = await make_account("manufacturer")
    campaigns = [
        await start_campaign(client, make_account, [(60, None, None)], maker=maker)
        for _ in range(3)
    ]
    for n, campaign in enumerate(campaigns):
        await set_deadline(db, campaign.id, timedelta(minutes=-10 + n))

    stop = asyncio.Event()
    clearing_demand = repository.demand_by_limit

    async def demand(session: AsyncSession, group_id: uuid.UUID) -> list[tuple[int, int]]:
        stop.set()  # SIGTERM arrives while the first close runs
        return await clearing_demand(session, group_id)

    monkeypatch.setattr(repository, "demand_by_limit", demand)
    assert await Worker(db, settings).close_due_groups(stop) == 1

    statuses = [await status(client, maker, c.id) for c in campaigns]
    assert statuses == ["confirmed", "open", "open"]  # the close in progress finished
