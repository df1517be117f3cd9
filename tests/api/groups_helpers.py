"""Shared helpers of the group, offer and intent API tests: bodies, factories, database probes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import Event, Group, IdempotencyKey, Intent, Offer, Participant
from tests.helpers import Account

# DESIGN §3's worked example: (10 → 1000), (50 → 800), (100 → 600).
TIERS: list[dict[str, int]] = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]
NO_AUTH: dict[str, str] = {}


def deadline(days: float = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def tiers(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"min_quantity": q, "unit_price": p} for q, p in pairs]


def offer_body(currency: str = "EUR", ladder: list[dict[str, int]] | None = None) -> dict[str, Any]:
    return {"currency": currency, "tiers": TIERS if ladder is None else ladder}


def campaign_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Trail bike X",
        "category": "bikes",
        "currency": "EUR",
        "deadline": deadline(),
        "offer": offer_body(),
    }
    body.update(overrides)
    return body


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Quiet heat pump",
        "category": "heating",
        "currency": "EUR",
        "deadline": deadline(),
    }
    body.update(overrides)
    return body


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a problem+json answer with this status and code; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def make_group(
    client: httpx.AsyncClient, owner: Account, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/groups", json=body, headers=owner["headers"])
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def make_campaign(
    client: httpx.AsyncClient, manufacturer: Account, **overrides: Any
) -> dict[str, Any]:
    return await make_group(client, manufacturer, campaign_body(**overrides))


async def make_request(
    client: httpx.AsyncClient, consumer: Account, **overrides: Any
) -> dict[str, Any]:
    return await make_group(client, consumer, request_body(**overrides))


async def bid(
    client: httpx.AsyncClient, manufacturer: Account, group_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/groups/{group_id}/offers", json=offer_body(**body), headers=manufacturer["headers"]
    )


async def join(
    client: httpx.AsyncClient, consumer: Account, group_id: str, quantity: int, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/groups/{group_id}/intents",
        json={"quantity": quantity, **extra},
        headers=consumer["headers"],
    )


async def joined(
    client: httpx.AsyncClient, consumer: Account, group_id: str, quantity: int, **extra: Any
) -> dict[str, Any]:
    response = await join(client, consumer, group_id, quantity, **extra)
    assert response.status_code == 201, response.text
    intent: dict[str, Any] = response.json()
    return intent


async def withdraw(client: httpx.AsyncClient, consumer: Account, intent_id: str) -> httpx.Response:
    return await client.post(f"/v1/intents/{intent_id}/withdraw", headers=consumer["headers"])


async def read_group(client: httpx.AsyncClient, caller: Account, group_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/groups/{group_id}", headers=caller["headers"])
    assert response.status_code == 200, response.text
    group: dict[str, Any] = response.json()
    return group


async def count(db: Database, model: type[Any]) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(db: Database) -> dict[str, Any]:
    """Row counts and every group's totals: equal before and after a refused request."""
    out: dict[str, Any] = {}
    for model in (Group, Offer, Intent, Participant, Event, IdempotencyKey):
        out[model.__tablename__] = await count(db, model)
    async with db.read() as session:
        out["totals"] = (
            await session.execute(
                select(
                    Group.id,
                    Group.total_quantity,
                    Group.intent_count,
                    Group.participant_count,
                    Group.best_price_reached,
                ).order_by(Group.id)
            )
        ).all()
        out["intents"] = (
            await session.execute(select(Intent.id, Intent.status).order_by(Intent.id))
        ).all()
        out["offers"] = (
            await session.execute(select(Offer.id, Offer.status).order_by(Offer.id))
        ).all()
    return out


async def events(db: Database, kind: str | None = None) -> list[Event]:
    async with db.read() as session:
        query = select(Event).order_by(Event.id)
        if kind is not None:
            query = query.where(Event.type == kind)
        return list((await session.scalars(query)).all())


async def expire(db: Database, group_id: str) -> None:
    """Move a group's deadline into the past. The API refuses past deadlines and the worker is
    off in tests, so this is the only way to get an open-but-due group without waiting."""
    async with db.write() as session:
        await session.execute(
            update(Group)
            .where(Group.id == uuid.UUID(group_id))
            .values(deadline=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()


async def caller(make_account: Any, role: str | None) -> Account:
    """An account of this role, or a caller without a key (role None)."""
    if role is None:
        return {"id": None, "headers": NO_AUTH}
    made: Account = await make_account(role)
    return made
