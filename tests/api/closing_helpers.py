"""Shared helpers of the close, clearing and order tests: calls, factories, database probes."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import Event, Group, Intent, Order, OrderLine
from tests.api.groups_helpers import joined, make_campaign
from tests.helpers import Account, MakeAccount


async def close(client: httpx.AsyncClient, caller: Account, group_id: str) -> httpx.Response:
    return await client.post(f"/v1/groups/{group_id}/close", headers=caller["headers"])


async def closed(client: httpx.AsyncClient, caller: Account, group_id: str) -> dict[str, Any]:
    """Close (or re-close) and return the clearing body; fails unless the answer is 200."""
    response = await close(client, caller, group_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def cancel(client: httpx.AsyncClient, caller: Account, group_id: str) -> httpx.Response:
    return await client.post(f"/v1/groups/{group_id}/cancel", headers=caller["headers"])


async def clearing(client: httpx.AsyncClient, caller: Account, group_id: str) -> httpx.Response:
    return await client.get(f"/v1/groups/{group_id}/clearing", headers=caller["headers"])


async def get_order(client: httpx.AsyncClient, caller: Account, order_id: str) -> httpx.Response:
    return await client.get(f"/v1/orders/{order_id}", headers=caller["headers"])


async def acknowledge(client: httpx.AsyncClient, caller: Account, order_id: str) -> httpx.Response:
    return await client.post(f"/v1/orders/{order_id}/acknowledge", headers=caller["headers"])


async def set_deadline(db: Database, group_id: str, delta: timedelta) -> None:
    """Move a group's deadline to now + ``delta``, straight in the database. The API refuses a
    deadline in the past (or less than a second ahead), so this is the only way to make a group
    due without waiting for it."""
    async with db.write() as session:
        await session.execute(
            update(Group)
            .where(Group.id == uuid.UUID(group_id))
            .values(deadline=datetime.now(UTC) + delta)
        )
        await session.commit()


async def make_due(db: Database, group_id: str) -> None:
    """The group's deadline passed a minute ago (see ``set_deadline``)."""
    await set_deadline(db, group_id, timedelta(minutes=-1))


@dataclass
class Campaign:
    """A campaign on DESIGN §3's ladder, its manufacturer, and the intents joined to it."""

    group: dict[str, Any]
    maker: Account
    consumers: list[Account] = field(default_factory=list)
    intents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        group_id: str = self.group["id"]
        return group_id


async def start_campaign(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    pledges: list[tuple[int, int | None, str | None]],
    *,
    maker: Account | None = None,
    **overrides: Any,
) -> Campaign:
    """A campaign with one consumer per ``(quantity, max_unit_price, delivery_area)`` pledge,
    joined in the order given (``None`` limit: the default of DESIGN §3.4)."""
    maker = maker or await make_account("manufacturer")
    campaign = Campaign(await make_campaign(client, maker, **overrides), maker)
    for quantity, limit, area in pledges:
        consumer = await make_account("consumer")
        extra: dict[str, Any] = {}
        if limit is not None:
            extra["max_unit_price"] = limit
        if area is not None:
            extra["delivery_area"] = area
        campaign.consumers.append(consumer)
        campaign.intents.append(await joined(client, consumer, campaign.id, quantity, **extra))
    return campaign


async def intents_of(db: Database, group_id: str) -> dict[str, Intent]:
    """Every intent row of the group, by id."""
    async with db.read() as session:
        rows = await session.scalars(select(Intent).where(Intent.group_id == uuid.UUID(group_id)))
        return {str(row.id): row for row in rows}


async def orders_of(db: Database, group_id: str) -> list[Order]:
    async with db.read() as session:
        query = select(Order).where(Order.group_id == uuid.UUID(group_id))
        return list((await session.scalars(query)).all())


async def order_lines(db: Database, order_id: str) -> list[OrderLine]:
    async with db.read() as session:
        query = select(OrderLine).where(OrderLine.order_id == uuid.UUID(order_id))
        return list((await session.scalars(query)).all())


async def event_rows(db: Database, group_id: str, kind: str | None = None) -> list[Event]:
    """The group's events in the order they were written (all types, or one)."""
    async with db.read() as session:
        query = select(Event).where(Event.group_id == uuid.UUID(group_id)).order_by(Event.id)
        if kind is not None:
            query = query.where(Event.type == kind)
        return list((await session.scalars(query)).all())


async def event_types(db: Database, group_id: str) -> Counter[str]:
    async with db.read() as session:
        rows = await session.execute(
            select(Event.type, func.count())
            .where(Event.group_id == uuid.UUID(group_id))
            .group_by(Event.type)
        )
        return Counter({kind: int(n) for kind, n in rows})


def text_mentions(body: Any, needles: list[str]) -> list[str]:
    """Which of ``needles`` occur anywhere in ``body`` rendered as JSON (case-insensitive)."""
    rendered = json.dumps(body).lower()
    return [needle for needle in needles if needle.lower() in rendered]
