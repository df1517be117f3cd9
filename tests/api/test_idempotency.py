"""``Idempotency-Key`` on POST /v1/groups, /v1/groups/{id}/offers and /v1/groups/{id}/intents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import Group, IdempotencyKey, Intent, Offer
from app.idempotency import _lock_id
from tests.api.groups_helpers import (
    campaign_body,
    count,
    events,
    joined,
    make_campaign,
    make_request,
    offer_body,
    problem,
    read_group,
    request_body,
    snapshot,
    tiers,
    withdraw,
)
from tests.helpers import Account, MakeAccount


async def post(
    client: httpx.AsyncClient, who: Account, path: str, body: dict[str, Any], key: str
) -> httpx.Response:
    return await client.post(path, json=body, headers={**who["headers"], "Idempotency-Key": key})


async def test_a_retried_join_returns_the_first_answer_and_joins_once(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    path = f"/v1/groups/{group['id']}/intents"
    first = await post(client, consumer, path, {"quantity": 7}, "join-1")
    assert first.status_code == 201, first.text
    await joined(client, consumer, group["id"], 60)  # the price moves; a replay must not
    before = await snapshot(db)
    again = await post(client, consumer, path, {"quantity": 7}, "join-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.json()["max_unit_price"] == 1000
    assert await snapshot(db) == before
    assert await count(db, Intent) == 2
    assert len(await events(db, "intent.created")) == 2


@pytest.mark.parametrize(
    ("second", "where"),
    [
        ({"quantity": 8}, "same group"),
        ({"quantity": 7, "max_unit_price": 1000}, "same group"),
        ({"quantity": 7}, "other group"),
    ],
)
async def test_a_key_reused_with_another_request_is_422(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    second: dict[str, Any],
    where: str,
) -> None:
    maker, consumer = await make_account("manufacturer"), await make_account("consumer")
    group, other = await make_campaign(client, maker), await make_campaign(client, maker)
    first = await post(client, consumer, f"/v1/groups/{group['id']}/intents", {"quantity": 7}, "k")
    assert first.status_code == 201, first.text
    target = group if where == "same group" else other
    before = await snapshot(db)
    response = await post(client, consumer, f"/v1/groups/{target['id']}/intents", second, "k")
    problem(response, 422, "idempotency_key_reused")
    assert await snapshot(db) == before


async def test_keys_are_scoped_to_the_calling_account(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    path = f"/v1/groups/{group['id']}/intents"
    ann, bob = await make_account("consumer"), await make_account("consumer")
    first = await post(client, ann, path, {"quantity": 4}, "shared")
    second = await post(client, bob, path, {"quantity": 4}, "shared")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    shown = await read_group(client, ann, group["id"])
    assert (shown["total_quantity"], shown["participant_count"]) == (8, 2)


async def test_a_retried_group_creation_opens_one_group(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker, consumer = await make_account("manufacturer"), await make_account("consumer")
    campaign, request = campaign_body(), request_body()
    for who, body in ((maker, campaign), (consumer, request)):
        first = await post(client, who, "/v1/groups", body, "open-1")
        again = await post(client, who, "/v1/groups", body, "open-1")
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
    assert await count(db, Group) == 2
    assert await count(db, Offer) == 1
    assert [e.type for e in await events(db)] == ["group.created", "offer.created", "group.created"]

    before = await snapshot(db)
    changed = {**campaign, "title": "Another bike"}
    problem(
        await post(client, maker, "/v1/groups", changed, "open-1"), 422, "idempotency_key_reused"
    )
    # The same key on another operation is another request too.
    path = f"/v1/groups/{first.json()['id']}/intents"
    problem(
        await post(client, consumer, path, {"quantity": 1, "max_unit_price": 5}, "open-1"),
        422,
        "idempotency_key_reused",
    )
    assert await snapshot(db) == before


async def test_a_retried_bid_is_not_a_new_bid(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_request(client, await make_account("consumer"))
    maker = await make_account("manufacturer")
    path = f"/v1/groups/{group['id']}/offers"
    first = await post(client, maker, path, offer_body(), "bid-1")
    again = await post(client, maker, path, offer_body(), "bid-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert await count(db, Offer) == 1  # a replay replaced nothing
    assert len(await events(db, "offer.created")) == 2  # one for the bidder, one for the owner
    other = offer_body(ladder=tiers((1, 500)))
    problem(await post(client, maker, path, other, "bid-1"), 422, "idempotency_key_reused")
    shown = await read_group(client, maker, group["id"])
    assert (shown["best_offer_id"], shown["offer_count"]) == (first.json()["id"], 1)


async def test_a_refused_first_attempt_stores_nothing_so_a_retry_can_succeed(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"), max_quantity=10)
    ann, bob = await make_account("consumer"), await make_account("consumer")
    held = await joined(client, ann, group["id"], 10)
    path = f"/v1/groups/{group['id']}/intents"
    before = await snapshot(db)
    problem(await post(client, bob, path, {"quantity": 5}, "retry"), 409, "max_quantity_exceeded")
    assert await snapshot(db) == before
    assert await count(db, IdempotencyKey) == 0

    assert (await withdraw(client, ann, held["id"])).status_code == 200
    retry = await post(client, bob, path, {"quantity": 5}, "retry")
    assert retry.status_code == 201, retry.text
    assert (await read_group(client, bob, group["id"]))["total_quantity"] == 5
    assert await count(db, IdempotencyKey) == 1


async def test_an_expired_key_may_be_used_again(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    path = f"/v1/groups/{group['id']}/intents"
    first = await post(client, consumer, path, {"quantity": 2}, "old")
    async with db.write() as session:
        await session.execute(
            update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    second = await post(client, consumer, path, {"quantity": 3}, "old")
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert (await read_group(client, consumer, group["id"]))["total_quantity"] == 5
    async with db.read() as session:
        expiry = await session.scalar(select(func.min(IdempotencyKey.expires_at)))
    assert expiry is not None
    assert expiry > datetime.now(UTC) + timedelta(hours=1)  # the fresh answer is kept


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_a_malformed_key_is_422(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, key: str
) -> None:
    consumer = await make_account("consumer")
    before = await snapshot(db)
    problem(
        await post(client, consumer, "/v1/groups", request_body(), key), 422, "validation_error"
    )
    assert await snapshot(db) == before


async def test_a_duplicate_in_flight_is_409_on_postgresql(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: a duplicate simply replays")
    consumer = await make_account("consumer")
    # Hold the key's advisory lock as the first request's transaction would.
    lock = _lock_id(uuid.UUID(consumer["id"]), "busy")
    async with db.write() as session:
        await session.execute(select(func.pg_advisory_xact_lock(lock)))
        response = await post(client, consumer, "/v1/groups", request_body(), "busy")
        problem(response, 409, "idempotency_in_flight")
        await session.rollback()
    assert await count(db, Group) == 0
    retry = await post(client, consumer, "/v1/groups", request_body(), "busy")
    assert retry.status_code == 201, retry.text
