"""Webhook delivery end to end: events fanned out by the worker step, sent over real HTTP to a
receiver on 127.0.0.1, signed, retried, ordered per endpoint, leased, disabled.

The worker's step is driven directly (``fanout`` / ``deliver_due`` / ``Worker.webhooks``) so the
tests neither sleep nor race the in-app worker; a pinned ``now`` stands in for waiting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.db.engine import Database
from app.db.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.main import create_app
from app.settings import Settings
from app.webhooks.delivery import claim, deliver_due, lease_seconds
from app.webhooks.sender import new_client, send
from app.worker.loop import Worker
from tests.e2e.webhook_helpers import (
    Answer,
    Receiver,
    catch_up,
    create_endpoint,
    deliveries,
    drain,
    endpoint_row,
    manufacturer,
    one_delivery,
    open_campaign,
)

Hook = tuple[httpx.AsyncClient, Database, Settings]


@pytest.fixture(scope="module")
async def hook_app(settings: Settings) -> AsyncIterator[Any]:
    """The app as a developer runs it locally: private URLs allowed, retries without delay."""
    local = settings.model_copy(
        update={"webhook_allow_private": True, "webhook_retry_schedule": (0, 0, 0)}
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
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with new_client() as client:
        yield client


async def test_fails_twice_then_delivered_once_with_one_id_and_valid_signatures(
    hook: Hook, receiver: Receiver
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    group = await open_campaign(client, maker)
    assert await catch_up(db) == 2  # group.created and offer.created; one is for this endpoint
    [delivery] = await deliveries(client, maker, endpoint["id"])
    receiver.answer(delivery["webhook_id"], Answer(500), Answer(500))
    worker = Worker(db, settings)
    try:
        for _ in range(10):
            if not await worker.webhooks():
                break
    finally:
        await worker.aclose()

    assert len(receiver.requests) == 3
    assert receiver.arrivals == [delivery["webhook_id"]] * 3
    assert receiver.processed == [delivery["webhook_id"]]
    for request in receiver.requests:
        payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
        assert payload["type"] == "group.created"
        assert payload["data"]["group_id"] == group["id"]
        assert payload["data"]["event_id"] == delivery["event_id"]
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    [done] = await deliveries(client, maker, endpoint["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("succeeded", 3, 200)
    assert done["delivered_at"] is not None
    path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{done['id']}/attempts"
    attempts = (await client.get(path, headers=maker)).json()["data"]
    assert [a["status_code"] for a in attempts] == [200, 500, 500]  # newest first
    assert (await endpoint_row(db, endpoint["id"])).failing_since is None


async def test_an_endpoint_gets_its_events_in_order_one_at_a_time(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    await open_campaign(client, maker)
    await open_campaign(client, maker)
    assert await catch_up(db) == 4
    second, first = await deliveries(client, maker, endpoint["id"])  # newest first
    assert first["event_id"] < second["event_id"]
    receiver.answer(first["webhook_id"], Answer(500), Answer(500))

    await drain(db, http, settings)

    assert receiver.arrivals == [first["webhook_id"]] * 3 + [second["webhook_id"]]
    assert receiver.processed == [first["webhook_id"], second["webhook_id"]]


async def test_a_delivery_whose_worker_died_is_sent_again_after_its_lease(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    await open_campaign(client, maker)
    await catch_up(db)
    now = datetime.now(UTC)
    lease = lease_seconds(settings)
    # A worker claims the delivery and sends it, then dies before recording the outcome.
    [held] = await claim(db, now, lease)
    await send(http, held.url, held.secrets, held.message, time_limit=5, allow_private=True)
    assert len(receiver.requests) == 1

    assert await deliver_due(db, http, settings, now=now + timedelta(seconds=lease - 1)) == 0
    assert len(receiver.requests) == 1  # still leased: nobody else touches it
    after = now + timedelta(seconds=lease + 1)
    assert await deliver_due(db, http, settings, now=after) == 1

    assert receiver.arrivals == [held.message.webhook_id] * 2
    assert receiver.processed == [held.message.webhook_id]  # the receiver deduplicated
    [delivery] = await deliveries(client, maker, endpoint["id"])
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 1)


async def test_after_the_last_retry_the_delivery_fails_and_the_next_one_goes(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    await open_campaign(client, maker)
    await open_campaign(client, maker)
    await catch_up(db)
    second, first = await deliveries(client, maker, endpoint["id"])
    receiver.answer(first["webhook_id"], *[Answer(500)] * 4)  # the first try and 3 retries

    await drain(db, http, settings)

    assert receiver.arrivals == [first["webhook_id"]] * 4 + [second["webhook_id"]]
    second, first = await deliveries(client, maker, endpoint["id"])
    assert (first["status"], first["attempts"], first["next_attempt_at"]) == ("failed", 4, None)
    assert (second["status"], second["attempts"]) == ("succeeded", 1)


async def test_410_gone_disables_the_endpoint(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    receiver.default = Answer(410)
    await open_campaign(client, maker)
    await drain(db, http, settings)

    shown = (await client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=maker)).json()
    assert (shown["status"], shown["disabled_reason"]) == ("disabled", "answered 410 Gone")
    [delivery] = await deliveries(client, maker, endpoint["id"])
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    await open_campaign(client, maker)
    await drain(db, http, settings)
    assert len(await deliveries(client, maker, endpoint["id"])) == 1  # nothing new for it
    assert len(receiver.requests) == 1

    enabled = await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable", headers=maker)
    assert enabled.json()["status"] == "enabled"


@pytest.mark.parametrize(("status", "kind"), [(503, "seconds"), (429, "http-date")])
async def test_retry_after_is_honoured(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient, status: int, kind: str
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    await create_endpoint(client, maker, receiver.url)
    before = datetime.now(UTC)
    wait = 600
    value = (
        str(wait)
        if kind == "seconds"
        else format_datetime(before + timedelta(seconds=wait), usegmt=True)
    )
    receiver.default = Answer(status, {"Retry-After": value})
    await open_campaign(client, maker)
    await drain(db, http, settings)  # the schedule says "again at once"; the receiver says wait

    delivery = await one_delivery(db)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "pending",
        1,
        status,
    )
    assert delivery.next_attempt_at >= before + timedelta(seconds=wait - 1)
    assert len(receiver.requests) == 1


async def test_an_endpoint_failing_for_too_long_is_disabled_and_a_success_resets_it(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    receiver.default = Answer(500)
    await open_campaign(client, maker)
    await catch_up(db)
    start = datetime.now(UTC)
    minute = timedelta(minutes=1)
    assert await deliver_due(db, http, settings, now=start) == 1
    assert (await endpoint_row(db, endpoint["id"])).failing_since == start
    receiver.default = Answer(200)
    assert await deliver_due(db, http, settings, now=start + minute) == 1
    assert (await endpoint_row(db, endpoint["id"])).failing_since is None

    receiver.default = Answer(500)
    await open_campaign(client, maker)
    await catch_up(db)
    failing_since = start + 2 * minute
    await deliver_due(db, http, settings, now=failing_since)
    limit = timedelta(seconds=settings.webhook_disable_after_seconds)
    await deliver_due(db, http, settings, now=failing_since + limit - minute)
    assert (await endpoint_row(db, endpoint["id"])).status == "enabled"  # not the full span yet
    await deliver_due(db, http, settings, now=failing_since + limit)
    row = await endpoint_row(db, endpoint["id"])
    assert row.status == "disabled"
    assert row.disabled_reason == "every attempt failed for 259200 s or more"
    assert len(receiver.requests) == 5


async def test_a_timeout_is_a_failed_attempt(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    await create_endpoint(client, maker, receiver.url)
    await open_campaign(client, maker)
    await catch_up(db)
    receiver.hold = asyncio.Event()
    quick = settings.model_copy(update={"webhook_timeout_seconds": 0.3})
    assert await deliver_due(db, http, quick) == 1
    delivery = await one_delivery(db)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_status_code is None
    assert delivery.last_error == "timed out after 0.3 s"


async def test_after_a_rotation_both_secrets_sign_for_a_day(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    path = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    rotated = (await client.post(path, headers=maker)).json()
    await open_campaign(client, maker)
    await drain(db, http, settings)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], rotated["secret"]):
        Webhook(secret).verify(request.body, request.headers)

    async with db.write() as session:  # a day later
        expired = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(WebhookEndpoint).values(previous_secret_expires_at=expired))
        await session.commit()
    await open_campaign(client, maker)
    await drain(db, http, settings)
    latest = receiver.requests[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated["secret"]).verify(latest.body, latest.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(latest.body, latest.headers)


@pytest.mark.parametrize("by", ["delivery", "event"])
async def test_redelivery_sends_the_same_webhook_id_again(
    hook: Hook, receiver: Receiver, http: httpx.AsyncClient, by: str
) -> None:
    """By the delivery (…/deliveries/{id}/redeliver) or by its event (…/events/{id}/redeliver):
    the same delivery row is re-armed, so the receiver sees the same webhook-id twice."""
    client, db, settings = hook
    maker = await manufacturer(client)
    endpoint = await create_endpoint(client, maker, receiver.url)
    await open_campaign(client, maker)
    await drain(db, http, settings)
    [delivery] = await deliveries(client, maker, endpoint["id"])
    target = (
        f"deliveries/{delivery['id']}" if by == "delivery" else f"events/{delivery['event_id']}"
    )
    again = await client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/{target}/redeliver", headers=maker
    )
    assert again.status_code == 202, again.text
    shown = again.json()
    assert (shown["id"], shown["status"], shown["attempts"]) == (delivery["id"], "pending", 0)
    await drain(db, http, settings)
    assert receiver.arrivals == [delivery["webhook_id"]] * 2
    assert receiver.processed == [delivery["webhook_id"]]
    for request in receiver.requests:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)


async def test_url_rules_https_and_public_unless_private_is_allowed(
    hook: Hook, client: httpx.AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    local, db, settings = hook
    body = {"url": receiver.url, "event_types": ["group.created"]}
    maker = await manufacturer(local)
    for url in (receiver.url, "https://127.0.0.1/hooks", "https://localhost/hooks"):
        refused = await client.post(
            "/v1/webhook-endpoints", json={**body, "url": url}, headers=maker
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "webhook_url_not_allowed")
    assert (await local.post("/v1/webhook-endpoints", json=body, headers=maker)).status_code == 201

    # The check is made again before each attempt: an address that turned private is refused.
    await open_campaign(local, maker)
    await catch_up(db)
    strict = settings.model_copy(update={"webhook_allow_private": False})
    assert await deliver_due(db, http, strict) == 1
    delivery = await one_delivery(db)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("refused: ")
    assert receiver.requests == []


@pytest.mark.postgres
async def test_two_workers_on_postgresql_send_each_delivery_once_in_order(
    postgres_url: str, settings: Settings, receiver: Receiver
) -> None:
    """Two workers with their own connection pools claim at once (SKIP LOCKED): no delivery is
    sent twice, no endpoint ever has two requests in flight, and each gets its events in order."""
    local = settings.model_copy(
        update={
            "database_url": postgres_url,
            "webhook_allow_private": True,
            "webhook_retry_schedule": (0, 0, 0),
        }
    )
    application = create_app(local)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as client:
            maker = await manufacturer(client)
            paths = [f"/hooks/{n}" for n in range(6)]
            for path in paths:
                await create_endpoint(client, maker, receiver.url.replace("/hooks", path))
            events = [(await open_campaign(client, maker))["id"] for _ in range(4)]
        db = application.state.db
        await catch_up(db)
        receiver.delay = 0.01
        other = Database(postgres_url, pool_size=4)

        async def work(worker_db: Database) -> None:
            async with new_client() as http:
                for _ in range(200):
                    await deliver_due(worker_db, http, local, limit=3)
                    async with worker_db.read() as session:
                        query = select(func.count()).where(
                            WebhookDelivery.status == DeliveryStatus.pending
                        )
                        if not await session.scalar(query.select_from(WebhookDelivery)):
                            return

        try:
            await asyncio.gather(work(db), work(other))
        finally:
            await other.dispose()

    assert len(receiver.requests) == len(paths) * len(events)  # each sent exactly once
    assert set(receiver.most_at_once.values()) == {1}
    for path in paths:
        got = [json.loads(r.body)["data"]["group_id"] for r in receiver.requests if r.path == path]
        assert got == events
