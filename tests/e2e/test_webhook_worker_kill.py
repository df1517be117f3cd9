"""A ``pool worker`` killed with SIGKILL while sending a webhook leaves the delivery it claimed to
the next worker: real processes on the test's database (SQLite file or PostgreSQL), a receiver on
127.0.0.1 that never answers the first request, and a lease that has to run out first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.db.engine import Database
from app.db.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from app.main import create_app
from app.settings import Settings
from app.webhooks.delivery import lease_seconds
from tests.e2e.server import Process, spawn
from tests.e2e.webhook_helpers import (
    Receiver,
    create_endpoint,
    manufacturer,
    one_delivery,
    open_campaign,
)

LEASE = 5  # the least POOL_WEBHOOK_LEASE_SECONDS allows
TIMEOUT = 3  # seconds an attempt may take: time enough to kill the worker in the middle of one


@pytest.fixture
async def local_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the test's database, accepting a receiver on 127.0.0.1."""
    application = create_app(settings.model_copy(update={"webhook_allow_private": True}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as client:
            yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver(hang=1)
    await server.start()
    yield server
    await server.close()


async def until(
    done: Callable[[], Awaitable[bool]], seconds: float, worker: Process, what: str
) -> None:
    """Wait for ``done``; fail with the worker's output if it exits or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not await done():
        if worker.process.returncode is not None:
            raise AssertionError(f"the worker exited before {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds} s:\n{worker.output()}")
        await asyncio.sleep(0.05)


async def test_a_delivery_claimed_by_a_killed_worker_is_sent_by_the_next_one(
    local_client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    env = {
        "POOL_DATABASE_URL": settings.database_url,
        "POOL_WEBHOOK_ALLOW_PRIVATE": "true",
        "POOL_WEBHOOK_LEASE_SECONDS": str(LEASE),
        "POOL_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT),
        "POOL_WORKER_POLL_SECONDS": "0.1",
        "POOL_LOG_LEVEL": "info",
    }
    # The lease a worker takes: never shorter than an attempt plus a margin.
    lease = lease_seconds(
        settings.model_copy(
            update={"webhook_lease_seconds": LEASE, "webhook_timeout_seconds": TIMEOUT}
        )
    )
    maker = await manufacturer(local_client)
    await create_endpoint(local_client, maker, receiver.url)
    await open_campaign(local_client, maker)
    workers: list[Process] = []

    async def received(count: int) -> bool:
        return len(receiver.requests) >= count

    async def delivered() -> bool:
        return (await one_delivery(db)).status == DeliveryStatus.succeeded

    try:
        workers.append(await spawn("worker", env, tmp_path / "worker-1.log"))
        await until(lambda: received(1), 60, workers[0], "first request")
        claimed = await one_delivery(db)  # sent, so claimed: its lease was committed first
        assert claimed.status == DeliveryStatus.pending
        assert claimed.leased_until is not None
        await workers[0].kill()  # kill -9, mid-request: nothing of the attempt is recorded

        workers.append(await spawn("worker", env, tmp_path / "worker-2.log"))
        await until(lambda: received(2), lease + 60, workers[1], "second request")
        await until(delivered, 30, workers[1], "recorded success")
        assert await workers[1].stop() == 0, workers[1].output()
    finally:
        for worker in workers:
            await worker.kill()

    webhook_id = f"evt_{claimed.event_id}"
    assert receiver.arrivals == [webhook_id, webhook_id]
    assert receiver.requests[1].at >= claimed.leased_until  # not before the lease ran out
    assert receiver.processed == [webhook_id]
    assert len(receiver.succeeded) == 1
    async with db.read() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
        attempts = list(await session.scalars(select(WebhookAttempt)))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.succeeded,
        1,
        200,
    )
    assert [(a.delivery_id, a.status_code) for a in attempts] == [(delivery.id, 200)]
