"""Helpers for the race tests: an app on its own PostgreSQL pool, accounts, campaigns, and the
invariants read back from the database itself."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db.engine import Database
from app.db.models import Event, Group, Intent, IntentStatus, Participant
from app.errors import PROBLEM_JSON
from app.settings import Settings
from tests.helpers import ADMIN_KEY, auth


def race_settings(url: str, **overrides: Any) -> Settings:
    """As ``tests.conftest.test_settings``, with a pool big enough for transactions to overlap."""
    values: dict[str, Any] = {
        "database_url": url,
        "admin_api_key": ADMIN_KEY,
        "run_worker": False,
        "log_level": "warning",
        "db_pool_size": 30,
    }
    values.update(overrides)
    return Settings(**values)


async def make_accounts(client: httpx.AsyncClient, role: str, count: int) -> list[dict[str, str]]:
    """``count`` accounts of ``role`` created through the API; each result is its auth headers."""

    async def one(index: int) -> dict[str, str]:
        body = {"role": role, "name": f"race-{role}-{index}-{uuid.uuid4().hex[:6]}"}
        response = await client.post("/v1/accounts", json=body, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        return auth(response.json()["api_key"])

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def tiers(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"min_quantity": q, "unit_price": p} for q, p in pairs]


async def make_campaign(
    client: httpx.AsyncClient,
    manufacturer: dict[str, str],
    ladder: list[dict[str, int]],
    max_quantity: int | None = None,
) -> str:
    body: dict[str, Any] = {
        "title": f"race {uuid.uuid4().hex[:8]}",
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "offer": {"currency": "EUR", "tiers": ladder},
    }
    if max_quantity is not None:
        body["max_quantity"] = max_quantity
    response = await client.post("/v1/groups", json=body, headers=manufacturer)
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]
    return group_id


async def join(
    client: httpx.AsyncClient,
    consumer: dict[str, str],
    group_id: str,
    quantity: int,
    max_unit_price: int = 1000,
    key: str | None = None,
) -> httpx.Response:
    headers = dict(consumer)
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"quantity": quantity, "max_unit_price": max_unit_price}
    return await client.post(f"/v1/groups/{group_id}/intents", json=body, headers=headers)


async def withdraw(
    client: httpx.AsyncClient, consumer: dict[str, str], intent_id: str
) -> httpx.Response:
    return await client.post(f"/v1/intents/{intent_id}/withdraw", headers=consumer)


def problem_code(response: httpx.Response) -> str:
    """The ``code`` of a problem+json answer (fails on anything else, a 5xx above all)."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"].endswith(body["code"]), body
    code: str = body["code"]
    return code


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """``(status, code)`` per answer; ``code`` is ``""`` for a 2xx."""
    counted: Counter[tuple[int, str]] = Counter()
    for response in responses:
        if response.is_success:
            counted[(response.status_code, "")] += 1
        else:
            counted[(response.status_code, problem_code(response))] += 1
    return counted


@dataclass(frozen=True)
class State:
    """A group's stored totals next to what its intent and participant rows say."""

    total_quantity: int
    intent_count: int
    participant_count: int
    max_quantity: int | None
    best_price_reached: int | None
    active_sum: int
    active_count: int
    active_consumers: int
    active_per_consumer: dict[uuid.UUID, int]
    participants: dict[uuid.UUID, int]

    def assert_consistent(self) -> None:
        assert self.total_quantity == self.active_sum, self
        assert self.intent_count == self.active_count, self
        assert self.participant_count == self.active_consumers, self
        for consumer, count in self.active_per_consumer.items():
            assert self.participants.get(consumer) == count, (consumer, count, self.participants)
        for consumer, count in self.participants.items():
            assert count == self.active_per_consumer.get(consumer, 0), (consumer, count)
        if self.max_quantity is not None:
            assert self.total_quantity <= self.max_quantity, self


async def read_state(db: Database, group_id: str) -> State:
    gid = uuid.UUID(group_id)
    active = (Intent.group_id == gid, Intent.status == IntentStatus.active)
    async with db.read() as session:
        group = (
            await session.execute(
                select(
                    Group.total_quantity,
                    Group.intent_count,
                    Group.participant_count,
                    Group.max_quantity,
                    Group.best_price_reached,
                ).where(Group.id == gid)
            )
        ).one()
        active_sum, active_count, active_consumers = (
            await session.execute(
                select(
                    func.coalesce(func.sum(Intent.quantity), 0),
                    func.count(),
                    func.count(func.distinct(Intent.consumer_id)),
                ).where(*active)
            )
        ).one()
        per_consumer = (
            await session.execute(
                select(Intent.consumer_id, func.count()).where(*active).group_by(Intent.consumer_id)
            )
        ).all()
        participants = (
            await session.execute(
                select(Participant.consumer_id, Participant.active_intents).where(
                    Participant.group_id == gid
                )
            )
        ).all()
    return State(
        total_quantity=int(group.total_quantity),
        intent_count=int(group.intent_count),
        participant_count=int(group.participant_count),
        max_quantity=group.max_quantity,
        best_price_reached=group.best_price_reached,
        active_sum=int(active_sum),
        active_count=int(active_count),
        active_consumers=int(active_consumers),
        active_per_consumer={c: int(n) for c, n in per_consumer},
        participants={c: int(n) for c, n in participants},
    )


async def intent_rows(db: Database, group_id: str) -> dict[str, tuple[str, int]]:
    """Every intent row of the group: id → (status, quantity)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Intent.id, Intent.status, Intent.quantity).where(
                    Intent.group_id == uuid.UUID(group_id)
                )
            )
        ).all()
    return {str(i): (str(s), int(q)) for i, s, q in rows}


async def events_of(db: Database, group_id: str, kind: str) -> list[dict[str, Any]]:
    async with db.read() as session:
        rows = await session.scalars(
            select(Event.data)
            .where(Event.group_id == uuid.UUID(group_id), Event.type == kind)
            .order_by(Event.id)
        )
        return [dict(row) for row in rows]
