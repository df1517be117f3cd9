"""The worker's two loops against real receivers on 127.0.0.1 (DESIGN §5, §7): one endpoint that
hangs holds up neither another endpoint's deliveries nor the deadline closes, each endpoint still
gets its events one at a time in feed order, and a stop request ends the worker promptly."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.engine import Database
from app.db.models import DeliveryStatus, WebhookDelivery
from app.main import create_app
from app.settings import Settings
from app.webhooks import delivery
from app.worker.loop import Worker
from tests.api.closing_helpers import make_due
from tests.e2e.webhook_helpers import Receiver, create_endpoint, manufacturer, open_campaign

Hook = tuple[httpx.AsyncClient, Database, Settings]


@pytest.fixture(scope="module")
async def hook_app(settings: Settings) -> AsyncIterator[Any]:
    """The app with private webhook URLs allowed; its worker is the one each test runs."""
    local = settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_timeout_seconds": 60,  # the hanging receiver is never given up on
            "worker_poll_seconds": 0.05,
        }
    )
    application = create_app(local)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def hook(hook_app: Any, db: Database) -> AsyncIterator[Hook]:
    transport = httpx.ASGITransport(app=hook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as client:
        yield client, hook_app.state.db, hook_app.state.settings


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[Receiver, Receiver]]:
    """A receiver that hangs until released, and one that answers at once."""
    slow, fast = Receiver(hold=asyncio.Event()), Receiver()
    await slow.start()
    await fast.start()
    yield slow, fast
    await slow.close()
    await fast.close()


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], seconds: float, what: str
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        done = check()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def group_ids(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["data"]["group_id"] for r in receiver.requests]


async def group_status(client: httpx.AsyncClient, headers: dict[str, str], group_id: str) -> str:
    response = await client.get(f"/v1/groups/{group_id}", headers=headers)
    assert response.status_code == 200, response.text
    value: str = response.json()["status"]
    return value


async def test_a_hanging_receiver_holds_up_neither_other_endpoints_nor_closes(
    hook: Hook, receivers: tuple[Receiver, Receiver]
) -> None:
    client, db, settings = hook
    slow, fast = receivers
    release = slow.hold
    assert release is not None
    maker = await manufacturer(client)
    await create_endpoint(client, maker, slow.url)
    await create_endpoint(client, maker, fast.url)
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(db, settings).run(stop))
    try:
        first = (await open_campaign(client, maker))["id"]
        await eventually(lambda: len(slow.requests) == 1, 10, "the slow endpoint's first request")
        await eventually(lambda: len(fast.succeeded) == 1, 10, "the fast endpoint's first event")

        # While the slow receiver still hangs on the first event: a new event for both
        # endpoints, and a group whose deadline has passed.
        second = (await open_campaign(client, maker))["id"]
        await make_due(db, first)
        await eventually(lambda: len(fast.succeeded) == 2, 10, "the fast endpoint's second event")

        async def closed() -> bool:
            return await group_status(client, maker, first) != "open"

        await eventually(closed, 10, "the due group to be closed")
        assert not release.is_set()
        assert group_ids(slow) == [first]  # still one request in flight, nothing after it

        release.set()
        await eventually(lambda: len(slow.succeeded) == 2, 10, "the slow endpoint's second event")
    finally:
        stop.set()
        release.set()
        await asyncio.wait_for(running, 10)

    assert group_ids(fast) == [first, second]
    assert group_ids(slow) == [first, second]  # in feed order, each once
    assert dict(slow.most_at_once) == dict(fast.most_at_once) == {"/hooks": 1}
    async with db.read() as session:
        statuses = (await session.scalars(select(WebhookDelivery.status))).all()
    assert statuses == [DeliveryStatus.succeeded] * 4


async def test_a_stop_request_ends_the_worker_promptly_even_with_an_attempt_hanging(
    hook: Hook, receivers: tuple[Receiver, Receiver]
) -> None:
    client, db, settings = hook
    slow, _ = receivers
    maker = await manufacturer(client)
    await create_endpoint(client, maker, slow.url)
    worker = Worker(db, settings)
    worker.shutdown_grace = 0.5
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await open_campaign(client, maker)
        await eventually(lambda: len(slow.requests) == 1, 10, "the request to hang")
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(running, 10)
    assert time.monotonic() - started < 5
    async with db.read() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
    # Given up on, not recorded: the lease runs out and it is sent again (same webhook-id).
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, 0)
    assert delivery.leased_until is not None


async def test_an_idle_worker_sleeps_between_polls(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, db, settings = hook
    claims = 0
    original = delivery.claim

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal claims
        claims += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(delivery, "claim", counted)
    worker = Worker(db, settings.model_copy(update={"worker_poll_seconds": 0.2}))
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert 1 <= claims <= 8  # about one per poll, not a busy loop
