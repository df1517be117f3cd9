"""Joins and withdrawals racing on PostgreSQL with real commits (DESIGN §2, §3.3, §4, §5).

Every request goes through the app over ASGI; ``asyncio.gather`` puts them in flight at once, so
they run as overlapping transactions on separate pooled connections. The invariants are then read
back from the database itself, not only from the answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.engine import Database
from app.db.models import IdempotencyKey, Intent
from app.groups.join_repository import Found, PostgresJoin
from app.main import create_app
from tests.db.race_helpers import (
    events_of,
    intent_rows,
    join,
    make_accounts,
    make_campaign,
    outcomes,
    race_settings,
    read_state,
    tiers,
    withdraw,
)

CONSUMERS = 150
FLAT = tiers((1, 1000))


@pytest.fixture(scope="module")
async def race_app(postgres_url: str) -> AsyncIterator[Any]:
    application = create_app(race_settings(postgres_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
def race_db(race_app: Any) -> Database:
    database: Database = race_app.state.db
    return database


@pytest.fixture(scope="module")
async def http(race_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # A crash must come back as the 500 a client would see, so the tests can count it.
    transport = httpx.ASGITransport(app=race_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://pool.test", timeout=120
    ) as client:
        yield client


@pytest.fixture(scope="module")
async def consumers(http: httpx.AsyncClient) -> list[dict[str, str]]:
    return await make_accounts(http, "consumer", CONSUMERS)


@pytest.fixture(scope="module")
async def manufacturer(http: httpx.AsyncClient) -> dict[str, str]:
    return (await make_accounts(http, "manufacturer", 1))[0]


async def test_300_concurrent_joins_count_every_201(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    group_id = await make_campaign(http, manufacturer, FLAT)
    plan = [(consumers[i % 50], i % 5 + 1) for i in range(300)]  # 50 consumers, 6 joins each

    answers = await asyncio.gather(*(join(http, c, group_id, q) for c, q in plan))

    assert outcomes(answers) == Counter({(201, ""): 300})
    created = [a.json() for a in answers]
    assert [c["quantity"] for c in created] == [q for _, q in plan]
    assert len({c["id"] for c in created}) == 300
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert state.total_quantity == sum(c["quantity"] for c in created) == 900
    assert (state.intent_count, state.participant_count) == (300, 50)
    assert set(state.participants.values()) == {6}
    rows = await intent_rows(race_db, group_id)
    assert rows == {c["id"]: ("active", c["quantity"]) for c in created}
    assert len(await events_of(race_db, group_id, "intent.created")) == 300
    seen = (await http.get(f"/v1/groups/{group_id}", headers=manufacturer)).json()
    assert (seen["total_quantity"], seen["intent_count"], seen["participant_count"]) == (
        900,
        300,
        50,
    )


async def test_cap_admits_exactly_the_joins_that_fit(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    group_id = await make_campaign(http, manufacturer, FLAT, max_quantity=100)
    plan = [consumers[i % 40] for i in range(60)]  # 40 consumers; 20 of them join twice

    answers = await asyncio.gather(*(join(http, c, group_id, 3) for c in plan))

    assert outcomes(answers) == Counter({(201, ""): 33, (409, "max_quantity_exceeded"): 27})
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert state.total_quantity == 99 == sum(a.json()["quantity"] for a in answers if a.is_success)
    assert state.intent_count == 33
    # A refused join stores nothing: no intent, no participant row, no event.
    assert set(state.participants) == set(state.active_per_consumer)
    assert set((await intent_rows(race_db, group_id)).values()) == {("active", 3)}
    assert len(await intent_rows(race_db, group_id)) == 33
    assert len(await events_of(race_db, group_id, "intent.created")) == 33


async def test_cap_with_mixed_sizes_refuses_only_joins_without_room(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    cap = 100
    group_id = await make_campaign(http, manufacturer, FLAT, max_quantity=cap)
    sizes = [(i * 7) % 9 + 2 for i in range(60)]  # 2..10, 360 units asked for
    plan = [(consumers[50 + i % 45], q) for i, q in enumerate(sizes)]

    answers = await asyncio.gather(*(join(http, c, group_id, q) for c, q in plan))

    counted = outcomes(answers)
    assert set(counted) <= {(201, ""), (409, "max_quantity_exceeded")}, counted
    admitted = [q for a, (_, q) in zip(answers, plan, strict=True) if a.status_code == 201]
    refused = [q for a, (_, q) in zip(answers, plan, strict=True) if a.status_code == 409]
    assert admitted
    assert refused
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert state.total_quantity == sum(admitted) <= cap
    assert state.intent_count == len(admitted)
    # No join was refused while there was room left for it (the total only grew meanwhile).
    assert cap - state.total_quantity < min(refused), (state.total_quantity, sorted(refused))
    assert set(state.participants) == set(state.active_per_consumer)
    assert len(await events_of(race_db, group_id, "intent.created")) == len(admitted)


async def test_concurrent_retries_of_one_idempotency_key_make_one_intent(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    group_id = await make_campaign(http, manufacturer, FLAT)
    consumer, key = consumers[7], f"retry-{uuid.uuid4()}"

    answers = await asyncio.gather(*(join(http, consumer, group_id, 4, key=key) for _ in range(20)))

    counted = outcomes(answers)
    assert set(counted) <= {(201, ""), (409, "idempotency_in_flight")}, counted
    assert counted[(201, "")] >= 1
    firsts = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(firsts) == 1, firsts
    (intent_id,) = firsts
    assert list(await intent_rows(race_db, group_id)) == [intent_id]
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert (state.total_quantity, state.intent_count, state.participant_count) == (4, 1, 1)
    assert len(await events_of(race_db, group_id, "intent.created")) == 1
    async with race_db.read() as session:
        stored = await session.scalar(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == key)
        )
    assert stored == 1

    again = await join(http, consumer, group_id, 4, key=key)
    assert again.status_code == 201, again.text
    assert again.json() == next(a.json() for a in answers if a.status_code == 201)
    assert (await read_state(race_db, group_id)).intent_count == 1


async def test_concurrent_joins_and_withdrawals_keep_totals_exact(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    group_id = await make_campaign(http, manufacturer, FLAT)
    # 100 intents first: consumers 0..49 hold two each.
    first = [(consumers[i % 50], i % 4 + 1) for i in range(100)]
    made = await asyncio.gather(*(join(http, c, group_id, q) for c, q in first))
    assert outcomes(made) == Counter({(201, ""): 100})
    existing = [(c, a.json()) for (c, _), a in zip(first, made, strict=True)]

    # Then at once: 100 new joins (consumers 25..124, half of them new to the group), the
    # withdrawal of 50 existing intents, and 10 duplicate withdrawals racing the first ones.
    joins = [(consumers[25 + i], i % 3 + 1) for i in range(100)]
    leaving = existing[::2]
    duplicates = leaving[:10]
    calls = [join(http, c, group_id, q) for c, q in joins]
    calls += [withdraw(http, c, intent["id"]) for c, intent in leaving + duplicates]
    answers = await asyncio.gather(*calls)

    join_answers, withdraw_answers = answers[:100], answers[100:]
    assert outcomes(join_answers) == Counter({(201, ""): 100})
    counted = outcomes(withdraw_answers)
    # A duplicate finds the intent withdrawn (200, harmless) or loses the race (409).
    assert set(counted) <= {(200, ""), (409, "intent_not_active")}, counted
    assert counted[(200, "")] >= 50
    for answer in withdraw_answers:
        if answer.status_code == 200:
            assert answer.json()["status"] == "withdrawn"

    rows = await intent_rows(race_db, group_id)
    gone = {intent["id"] for _, intent in leaving}
    assert {i for i, (status, _) in rows.items() if status == "withdrawn"} == gone
    assert len(rows) == 200
    withdrawn_events = await events_of(race_db, group_id, "intent.withdrawn")
    assert sorted(e["intent_id"] for e in withdrawn_events) == sorted(gone)

    state = await read_state(race_db, group_id)
    state.assert_consistent()
    expected = (
        sum(intent["quantity"] for _, intent in existing)
        - sum(intent["quantity"] for _, intent in leaving)
        + sum(a.json()["quantity"] for a in join_answers)
    )
    assert state.total_quantity == expected
    assert state.intent_count == 150


async def test_duplicate_withdrawals_of_a_consumers_only_intent(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    """Withdrawing one's only intent twice at once: one withdrawal, never a 5xx."""
    group_id = await make_campaign(http, manufacturer, FLAT)
    owners = consumers[100:120]
    made = await asyncio.gather(*(join(http, c, group_id, 5) for c in owners))
    assert outcomes(made) == Counter({(201, ""): 20})
    ids = [a.json()["id"] for a in made]

    answers = await asyncio.gather(
        *(withdraw(http, c, i) for c, i in zip(owners, ids, strict=True) for _ in range(3))
    )

    counted = outcomes(answers)
    assert set(counted) <= {(200, ""), (409, "intent_not_active")}, counted
    rows = await intent_rows(race_db, group_id)
    assert set(rows.values()) == {("withdrawn", 5)}
    assert len(await events_of(race_db, group_id, "intent.withdrawn")) == 20
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert (state.total_quantity, state.intent_count, state.participant_count) == (0, 0, 0)


async def test_tier_reached_is_announced_once_per_tier(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
) -> None:
    ladder = tiers((1, 1000), (100, 900), (200, 800))
    group_id = await make_campaign(http, manufacturer, ladder)

    answers = await asyncio.gather(*(join(http, c, group_id, 2) for c in consumers))

    assert outcomes(answers) == Counter({(201, ""): CONSUMERS})
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert state.total_quantity == 2 * CONSUMERS == 300
    assert state.best_price_reached == 800
    reached = await events_of(race_db, group_id, "group.tier_reached")
    assert Counter(e["unit_price"] for e in reached) == Counter({1000: 1, 900: 1, 800: 1})
    for event in reached:
        assert event["group_id"] == group_id
        assert event["min_quantity"] <= event["total_quantity"], event
        assert {"min_quantity": event["min_quantity"], "unit_price": event["unit_price"]} in ladder
    # Announced in the order the volume crossed them.
    assert [e["unit_price"] for e in reached] == [1000, 900, 800]
    async with race_db.read() as session:
        active = await session.scalar(
            select(func.count())
            .select_from(Intent)
            .where(Intent.group_id == uuid.UUID(group_id), Intent.status == "active")
        )
    assert active == CONSUMERS


async def test_an_answer_committed_after_the_lookup_is_replayed(
    http: httpx.AsyncClient,
    race_db: Database,
    consumers: list[dict[str, str]],
    manufacturer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The join claims its key in the same statement as it looks up the stored answer, so the
    # lookup's snapshot can predate a twin's commit. Simulate that window: the first lookup does
    # not see the stored answer; storing a second one must fail and the join start over.
    group_id = await make_campaign(http, manufacturer, FLAT)
    consumer, key = consumers[9], f"late-{uuid.uuid4()}"
    first = await join(http, consumer, group_id, 3, key=key)
    assert first.status_code == 201, first.text
    looked = PostgresJoin.lookup
    hidden: list[Any] = []

    async def stale_once(self: PostgresJoin, *args: Any, **kwargs: Any) -> Found:
        found = await looked(self, *args, **kwargs)
        if hidden:
            return found
        hidden.append(found.stored)
        return dataclasses.replace(found, stored=None)

    monkeypatch.setattr(PostgresJoin, "lookup", stale_once)
    again = await join(http, consumer, group_id, 3, key=key)

    assert len(hidden) == 1
    assert hidden[0] is not None  # the answer was there, and was hidden
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    state = await read_state(race_db, group_id)
    state.assert_consistent()
    assert (state.total_quantity, state.intent_count) == (3, 1)
    assert len(await events_of(race_db, group_id, "intent.created")) == 1
