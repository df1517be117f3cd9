"""POST /v1/groups/{id}/intents, GET /v1/intents, POST /v1/intents/{id}/withdraw, and the events
they store."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.db.engine import Database
from app.db.models import Group, Intent, IntentStatus
from tests.api.groups_helpers import (
    bid,
    caller,
    campaign_body,
    events,
    expire,
    join,
    joined,
    make_campaign,
    make_request,
    problem,
    read_group,
    snapshot,
    withdraw,
)
from tests.helpers import MakeAccount


async def test_a_consumer_joins_a_campaign(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    response = await join(
        client, consumer, group["id"], 12, max_unit_price=950, delivery_area="DE-BE"
    )
    assert response.status_code == 201, response.text
    intent = response.json()
    uuid.UUID(intent.pop("id"))
    assert intent.pop("created_at").startswith("20")
    assert intent == {
        "group_id": group["id"],
        "quantity": 12,
        "max_unit_price": 950,
        "delivery_area": "DE-BE",
        "status": "active",
        "reason": None,
        "unit_price": None,
    }
    shown = await read_group(client, consumer, group["id"])
    assert (shown["total_quantity"], shown["participant_count"], shown["intent_count"]) == (
        12,
        1,
        1,
    )
    assert shown["current_unit_price"] == 1000
    async with db.read() as session:
        [row] = (await session.scalars(select(Intent))).all()
    assert (str(row.consumer_id), row.delivery_area, row.max_unit_price) == (
        consumer["id"],
        "DE-BE",
        950,
    )


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("manufacturer", 403, "forbidden"),
        ("admin", 403, "forbidden"),
        (None, 401, "unauthenticated"),
    ],
)
async def test_only_consumers_join(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    role: str | None,
    status: int,
    code: str,
) -> None:
    owner = await make_account("manufacturer")
    group = await make_campaign(client, owner)
    who = owner if role == "manufacturer" else await caller(make_account, role)
    before = await snapshot(db)
    problem(await join(client, who, group["id"], 5), status, code)
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("earlier", "body", "limit"),
    [
        ([], {}, 1000),  # below MOQ: the first tier's price
        ([5], {"quantity": 5}, 1000),  # this join reaches the MOQ; the price shown before was none
        ([60], {}, 800),  # the displayed price before the join
        ([60], {"quantity": 40}, 800),  # not the price this join reaches
        ([100], {}, 600),
        ([60], {"max_unit_price": 990}, 990),  # a given limit is kept, even above the price
        ([], {"max_unit_price": 1}, 1),
    ],
)
async def test_the_default_limit_is_the_price_shown_before_the_join(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    earlier: list[int],
    body: dict[str, Any],
    limit: int,
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    for quantity in earlier:
        await joined(client, consumer, group["id"], quantity)
    intent = await joined(client, consumer, group["id"], **{"quantity": 3, **body})
    assert intent["max_unit_price"] == limit


async def test_a_request_without_an_offer_needs_a_limit(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    consumer = await make_account("consumer")
    group = await make_request(client, consumer)
    before = await snapshot(db)
    problem(await join(client, consumer, group["id"], 5), 422, "max_unit_price_required")
    assert await snapshot(db) == before
    assert (await joined(client, consumer, group["id"], 5, max_unit_price=700))[
        "max_unit_price"
    ] == 700
    await bid(client, await make_account("manufacturer"), group["id"])  # (10 → 1000), …
    assert (await joined(client, consumer, group["id"], 5))["max_unit_price"] == 1000


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0},
        {"quantity": -3},
        {"quantity": 1_000_001},
        {"quantity": "many"},
        {"quantity": 2.5},
        {},
        {"quantity": 1, "max_unit_price": 0},
        {"quantity": 1, "max_unit_price": -5},
        {"quantity": 1, "delivery_area": "x" * 101},
        {"quantity": 1, "delivery_area": "  "},
        {"quantity": 1, "status": "confirmed"},
        {"quantity": 1, "consumer_id": str(uuid.uuid4())},
    ],
)
async def test_an_invalid_intent_is_422_and_stores_nothing(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, body: dict[str, Any]
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    before = await snapshot(db)
    response = await client.post(
        f"/v1/groups/{group['id']}/intents", json=body, headers=consumer["headers"]
    )
    problem(response, 422, "validation_error")
    assert await snapshot(db) == before


async def test_the_largest_allowed_quantity_and_delivery_area_are_accepted(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    area = "A" * 100
    intent = await joined(client, consumer, group["id"], 1_000_000, delivery_area=f" {area} ")
    assert (intent["quantity"], intent["delivery_area"]) == (1_000_000, area)


async def test_a_group_caps_the_quantity_of_one_intent(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"), max_per_intent=5)
    consumer = await make_account("consumer")
    before = await snapshot(db)
    problem(await join(client, consumer, group["id"], 6), 422, "quantity_above_max_per_intent")
    assert await snapshot(db) == before
    assert (await joined(client, consumer, group["id"], 5))["quantity"] == 5


async def test_max_quantity_is_a_hard_cap(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"), max_quantity=100)
    first, second = await make_account("consumer"), await make_account("consumer")
    await joined(client, first, group["id"], 60)
    before = await snapshot(db)
    for quantity in (41, 1000):
        problem(await join(client, second, group["id"], quantity), 409, "max_quantity_exceeded")
    assert await snapshot(db) == before
    await joined(client, second, group["id"], 40)  # fits exactly
    problem(await join(client, first, group["id"], 1), 409, "max_quantity_exceeded")
    shown = await read_group(client, first, group["id"])
    assert (shown["total_quantity"], shown["participant_count"], shown["intent_count"]) == (
        100,
        2,
        2,
    )


async def test_a_consumer_may_hold_several_intents_in_one_group(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    ann, bob = await make_account("consumer"), await make_account("consumer")
    one = await joined(client, ann, group["id"], 2)
    two = await joined(client, ann, group["id"], 3)
    await joined(client, bob, group["id"], 1)

    async def totals() -> tuple[int, int, int]:
        shown = await read_group(client, bob, group["id"])
        return shown["total_quantity"], shown["participant_count"], shown["intent_count"]

    assert await totals() == (6, 2, 3)
    assert (await withdraw(client, ann, one["id"])).status_code == 200
    assert await totals() == (4, 2, 2)
    assert (await withdraw(client, ann, two["id"])).status_code == 200
    assert await totals() == (1, 1, 1)
    await joined(client, ann, group["id"], 4)
    assert await totals() == (5, 2, 2)


async def test_withdrawing_is_repeatable_and_only_for_ones_own_intent(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    group = await make_campaign(client, maker)
    owner, other = await make_account("consumer"), await make_account("consumer")
    intent = await joined(client, owner, group["id"], 20)

    before = await snapshot(db)
    problem(await withdraw(client, other, intent["id"]), 404, "intent_not_found")
    problem(await withdraw(client, owner, str(uuid.uuid4())), 404, "intent_not_found")
    problem(await withdraw(client, owner, "not-a-uuid"), 404, "intent_not_found")
    problem(await withdraw(client, maker, intent["id"]), 403, "forbidden")
    problem(await withdraw(client, await make_account("admin"), intent["id"]), 403, "forbidden")
    problem(await withdraw(client, {"headers": {}}, intent["id"]), 401, "unauthenticated")
    assert await snapshot(db) == before

    first = await withdraw(client, owner, intent["id"])
    assert first.status_code == 200, first.text
    assert first.json() == {**intent, "status": "withdrawn"}
    again = await withdraw(client, owner, intent["id"])
    assert (again.status_code, again.json()) == (200, first.json())
    shown = await read_group(client, owner, group["id"])
    assert (shown["total_quantity"], shown["participant_count"], shown["intent_count"]) == (0, 0, 0)
    assert len(await events(db, "intent.withdrawn")) == 1


async def test_a_group_past_its_deadline_is_frozen(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    intent = await joined(client, consumer, group["id"], 20)
    await expire(db, group["id"])
    before = await snapshot(db)
    problem(await join(client, consumer, group["id"], 5), 409, "group_not_open")
    problem(await withdraw(client, consumer, intent["id"]), 409, "group_not_open")
    assert await snapshot(db) == before
    [listed] = (await client.get("/v1/intents", headers=consumer["headers"])).json()["data"]
    assert listed["status"] == "active"


@pytest.mark.parametrize("status", [IntentStatus.confirmed, IntentStatus.rejected])
async def test_a_settled_intent_cannot_be_withdrawn(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, status: IntentStatus
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    intent = await joined(client, consumer, group["id"], 20)
    # Settling intents is the clearing's job (another issue); set the status directly.
    async with db.write() as session:
        await session.execute(
            update(Intent).where(Intent.id == uuid.UUID(intent["id"])).values(status=status)
        )
        await session.commit()
    before = await snapshot(db)
    problem(await withdraw(client, consumer, intent["id"]), 409, "intent_not_active")
    assert await snapshot(db) == before


@pytest.mark.parametrize("group_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_joining_an_unknown_group_is_404(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, group_id: str
) -> None:
    consumer = await make_account("consumer")
    before = await snapshot(db)
    problem(await join(client, consumer, group_id, 1, max_unit_price=10), 404, "group_not_found")
    assert await snapshot(db) == before


async def test_a_consumer_lists_its_intents_with_filters_and_a_cursor(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker, consumer = await make_account("manufacturer"), await make_account("consumer")
    bikes, boats = await make_campaign(client, maker), await make_campaign(client, maker)
    mine = [
        (await joined(client, consumer, g["id"], 1))["id"] for g in (bikes, boats, bikes, bikes)
    ]
    await withdraw(client, consumer, mine[2])

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/v1/intents?{query}", headers=consumer["headers"])
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["data"]]

    newest_first = sorted(mine, reverse=True)
    assert await ids("") == newest_first
    assert set(await ids(f"group_id={bikes['id']}")) == {mine[0], mine[2], mine[3]}
    assert await ids(f"group_id={boats['id']}&status=active") == [mine[1]]
    assert await ids("status=withdrawn") == [mine[2]]
    assert await ids("status=confirmed") == []
    assert await ids(f"group_id={uuid.uuid4()}") == []

    seen, cursor, pages = [], None, 0
    while True:
        query = "/v1/intents?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = await client.get(query, headers=consumer["headers"])
        seen += [i["id"] for i in page.json()["data"]]
        cursor, pages = page.json()["next_cursor"], pages + 1
        if cursor is None or pages > 3:
            break
    assert (seen, pages) == (newest_first, 2)

    for bad, status in (
        ("status=gone", 422),
        ("group_id=x", 422),
        ("limit=0", 422),
        ("cursor=%21%21", 400),
    ):
        response = await client.get(f"/v1/intents?{bad}", headers=consumer["headers"])
        assert response.status_code == status, response.text
    problem(
        await client.get("/v1/intents?cursor=AAAA", headers=consumer["headers"]),
        400,
        "invalid_cursor",
    )


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("manufacturer", 403, "forbidden"),
        ("admin", 403, "forbidden"),
        (None, 401, "unauthenticated"),
    ],
)
async def test_only_consumers_list_intents(
    client: httpx.AsyncClient, make_account: MakeAccount, role: str | None, status: int, code: str
) -> None:
    who = await caller(make_account, role)
    problem(await client.get("/v1/intents", headers=who["headers"]), status, code)


async def test_intent_events_are_private_to_their_consumer(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    intent = await joined(client, consumer, group["id"], 3, delivery_area="FR-75")
    await withdraw(client, consumer, intent["id"])
    stored = [e for e in await events(db) if e.type.startswith("intent.")]
    assert [(e.type, str(e.account_id), str(e.group_id)) for e in stored] == [
        ("intent.created", consumer["id"], group["id"]),
        ("intent.withdrawn", consumer["id"], group["id"]),
    ]
    assert stored[0].data["intent_id"] == intent["id"]
    assert (stored[0].data["quantity"], stored[0].data["delivery_area"]) == (3, "FR-75")
    assert stored[1].data["status"] == "withdrawn"


async def test_each_tier_is_announced_once(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")

    async def reached() -> list[tuple[int, int]]:
        found = await events(db, "group.tier_reached")
        assert all(e.account_id is None and str(e.group_id) == group["id"] for e in found)
        return [(e.data["min_quantity"], e.data["unit_price"]) for e in found]

    small = await joined(client, consumer, group["id"], 5)
    assert await reached() == []
    big = await joined(client, consumer, group["id"], 55)  # 60: crosses 10 and 50 at once
    assert await reached() == [(10, 1000), (50, 800)]
    await withdraw(client, consumer, big["id"])  # back to 5, below the MOQ
    await withdraw(client, consumer, small["id"])
    await joined(client, consumer, group["id"], 70)  # crosses 10 and 50 again
    assert await reached() == [(10, 1000), (50, 800)]
    await joined(client, consumer, group["id"], 30)  # 100
    assert await reached() == [(10, 1000), (50, 800), (100, 600)]
    await joined(client, consumer, group["id"], 30)
    assert len(await reached()) == 3
    async with db.read() as session:
        statuses = (await session.scalars(select(Intent.status))).all()
    assert sorted(statuses) == sorted([IntentStatus.withdrawn] * 2 + [IntentStatus.active] * 3)


async def test_a_group_without_a_cap_still_takes_at_most_a_billion_units(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    """The volume ceiling keeps every order's amount (volume times price, at most 10^9 * 10^9)
    inside a 64-bit integer."""
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    async with db.write() as session:  # a billion units of real joins would take too long
        await session.execute(
            update(Group).where(Group.id == uuid.UUID(group["id"])).values(total_quantity=10**9 - 5)
        )
        await session.commit()
    refused = problem(await join(client, consumer, group["id"], 6), 409, "max_quantity_exceeded")
    assert "5 are left" in refused["detail"]
    assert (await join(client, consumer, group["id"], 5)).status_code == 201
    assert (await read_group(client, consumer, group["id"]))["total_quantity"] == 10**9


async def test_a_price_above_a_billion_minor_units_is_refused(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    too_dear = {"currency": "EUR", "tiers": [{"min_quantity": 1, "unit_price": 10**9 + 1}]}
    response = await client.post(
        "/v1/groups", json=campaign_body(offer=too_dear), headers=maker["headers"]
    )
    problem(response, 422, "validation_error")
    group = await make_campaign(client, maker)
    consumer = await make_account("consumer")
    problem(
        await join(client, consumer, group["id"], 1, max_unit_price=10**9 + 1),
        422,
        "validation_error",
    )


@pytest.mark.parametrize("quantity", [True, "5", 2.0])
async def test_a_quantity_must_be_a_json_integer(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, quantity: Any
) -> None:
    """`true` or "5" are not taken for numbers: a careless client learns at once."""
    group = await make_campaign(client, await make_account("manufacturer"))
    consumer = await make_account("consumer")
    before = await snapshot(db)
    problem(await join(client, consumer, group["id"], quantity), 422, "validation_error")
    assert await snapshot(db) == before
