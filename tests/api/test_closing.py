"""Closing a group through the API and the deadline worker (DESIGN §2, §3.5, §4): the clearing,
the intents' outcomes, the one order, the events, cancel, and who may see or do what."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.closing.service import CloseFailed, close_due
from app.db.engine import Database
from app.db.models import Intent
from app.settings import Settings
from app.worker.loop import Worker
from tests.api.closing_helpers import (
    Campaign,
    cancel,
    clearing,
    close,
    closed,
    event_rows,
    event_types,
    get_order,
    intents_of,
    make_due,
    orders_of,
    set_deadline,
    start_campaign,
)
from tests.api.groups_helpers import (
    bid,
    join,
    joined,
    make_request,
    problem,
    read_group,
    snapshot,
    tiers,
    withdraw,
)
from tests.helpers import Account, MakeAccount

NULL_CLEARING = {
    "unit_price": None,
    "accepted_quantity": None,
    "winning_offer_id": None,
    "order_id": None,
    "closed_at": None,
}


async def close_by(
    trigger: str,
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    campaign: Campaign,
    admin: Account,
) -> dict[str, Any]:
    """Close the campaign the way ``trigger`` says; return the clearing the owner then reads."""
    if trigger == "owner":
        body = await closed(client, campaign.maker, campaign.id)
    elif trigger == "admin":
        body = await closed(client, admin, campaign.id)
    else:
        await make_due(db, campaign.id)
        assert await Worker(db, settings).close_due_groups() == 1
        response = await clearing(client, campaign.maker, campaign.id)
        assert response.status_code == 200, response.text
        body = response.json()
    assert body["your_intents"] is None  # the owner and admins have no intents of their own
    return body


# DESIGN §3's worked example on its ladder (10 → 1000), (50 → 800), (100 → 600): A pledges 60 at
# most 1000, B 30 at most 800, C 5 at most 600 → p* = 800, C rejected. Had C pledged 10 units,
# all three would clear at 600.
EXAMPLE_CASES = {
    "C-pledges-5": (5, 800, ("confirmed", "confirmed", "rejected")),
    "C-pledges-10": (10, 600, ("confirmed", "confirmed", "confirmed")),
}


@pytest.mark.parametrize("trigger", ["owner", "admin", "worker"])
@pytest.mark.parametrize("case", list(EXAMPLE_CASES))
async def test_the_worked_example_clears(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    trigger: str,
    case: str,
) -> None:
    c_units, price, outcomes = EXAMPLE_CASES[case]
    pledges = [(60, 1000, "DE-BE"), (30, 800, "FR-75"), (c_units, 600, "DE-BE")]
    campaign = await start_campaign(client, make_account, pledges)
    admin = {"headers": admin_headers}

    body = await close_by(trigger, client, db, settings, campaign, admin)

    accepted = [p for p, o in zip(pledges, outcomes, strict=True) if o == "confirmed"]
    units = sum(q for q, _, _ in accepted)
    assert body["group_id"] == campaign.id
    assert body["status"] == "confirmed"
    assert body["unit_price"] == price
    assert body["accepted_quantity"] == units
    assert body["winning_offer_id"] == campaign.group["best_offer_id"]
    assert body["closed_at"] is not None
    uuid.UUID(body["order_id"])

    # Each consumer sees its own intent's outcome, at the clearing price or with the reason.
    for consumer, intent, outcome in zip(
        campaign.consumers, campaign.intents, outcomes, strict=True
    ):
        response = await clearing(client, consumer, campaign.id)
        assert response.status_code == 200, response.text
        seen = response.json()
        assert {k: seen[k] for k in ("status", "unit_price", "order_id")} == {
            "status": "confirmed",
            "unit_price": price,
            "order_id": body["order_id"],
        }
        [mine] = seen["your_intents"]
        assert (mine["id"], mine["status"]) == (intent["id"], outcome)
        if outcome == "confirmed":
            assert (mine["unit_price"], mine["reason"]) == (price, None)
            assert mine["unit_price"] <= mine["max_unit_price"]
        else:
            assert (mine["unit_price"], mine["reason"]) == (None, "price_above_limit")
            assert mine["max_unit_price"] < price
        listed = await client.get(
            "/v1/intents", params={"group_id": campaign.id}, headers=consumer["headers"]
        )
        assert [(i["id"], i["status"]) for i in listed.json()["data"]] == [(intent["id"], outcome)]

    # One order, to the campaign's manufacturer, whose totals are the accepted intents'.
    response = await get_order(client, campaign.maker, body["order_id"])
    assert response.status_code == 200, response.text
    order = response.json()
    areas: dict[str, dict[str, int]] = {}
    for quantity, _, area in accepted:
        slot = areas.setdefault(area, {"lines": 0, "quantity": 0})
        slot["lines"] += 1
        slot["quantity"] += quantity
    assert {k: order[k] for k in order if k not in ("id", "created_at")} == {
        "group_id": campaign.id,
        "offer_id": campaign.group["best_offer_id"],
        "manufacturer_id": campaign.maker["id"],
        "status": "confirmed",
        "currency": "EUR",
        "unit_price": price,
        "total_quantity": units,
        "total_amount": units * price,
        "line_count": len(accepted),
        "area_totals": [
            {"delivery_area": area, **totals} for area, totals in sorted(areas.items())
        ],
        "acknowledged_at": None,
    }
    assert len(await orders_of(db, campaign.id)) == 1

    shown = await read_group(client, campaign.consumers[0], campaign.id)
    assert (shown["status"], shown["closed_at"]) == ("confirmed", body["closed_at"])

    # Events: one group.confirmed (public), one order.created private to the manufacturer, and
    # one intent.<outcome> per intent, private to its consumer.
    kinds = await event_types(db, campaign.id)
    assert kinds["group.confirmed"] == 1
    assert kinds["order.created"] == 1
    assert kinds["group.failed"] == 0
    assert kinds["intent.confirmed"] == outcomes.count("confirmed")
    assert kinds["intent.rejected"] == outcomes.count("rejected")
    assert kinds["intent.released"] == 0
    [confirmed_event] = await event_rows(db, campaign.id, "group.confirmed")
    assert confirmed_event.account_id is None
    assert confirmed_event.data == {  # public: neither the winning offer nor the order
        "group_id": campaign.id,
        "status": "confirmed",
        "unit_price": price,
        "accepted_quantity": units,
    }
    [order_event] = await event_rows(db, campaign.id, "order.created")
    assert str(order_event.account_id) == campaign.maker["id"]
    assert order_event.data["order_id"] == body["order_id"]
    assert order_event.data["winning_offer_id"] == campaign.group["best_offer_id"]
    assert order_event.data["total_amount"] == units * price
    for consumer, intent, outcome in zip(
        campaign.consumers, campaign.intents, outcomes, strict=True
    ):
        [event] = [
            e
            for e in await event_rows(db, campaign.id, f"intent.{outcome}")
            if e.data["intent_id"] == intent["id"]
        ]
        assert str(event.account_id) == consumer["id"]
        assert event.data["group_id"] == campaign.id
        assert event.data["status"] == outcome
        assert event.data["unit_price"] == (price if outcome == "confirmed" else None)


FAILURES = {
    # Below the first tier's min_quantity (the MOQ) there is no price at all.
    "below-moq": ([(4, 1000, None), (5, None, None)], "no_offer_clears"),
    # Enough volume, but nobody's limit reaches a tier price that volume can buy.
    "limits-too-low": ([(40, 900, None), (20, 700, None)], "no_offer_clears"),
}


@pytest.mark.parametrize("trigger", ["owner", "worker"])
@pytest.mark.parametrize("case", list(FAILURES))
async def test_a_campaign_that_cannot_clear_fails_and_releases_every_intent(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    trigger: str,
    case: str,
) -> None:
    pledges, reason = FAILURES[case]
    campaign = await start_campaign(client, make_account, pledges)

    body = await close_by(trigger, client, db, settings, campaign, {"headers": admin_headers})

    assert body["status"] == "failed"
    assert body["closed_at"] is not None
    assert {k: body[k] for k in NULL_CLEARING if k != "closed_at"} == {
        k: None for k in NULL_CLEARING if k != "closed_at"
    }
    rows = await intents_of(db, campaign.id)
    assert {(r.status.value, r.reason, r.unit_price) for r in rows.values()} == {
        ("released", "group_failed", None)
    }
    assert await orders_of(db, campaign.id) == []
    kinds = await event_types(db, campaign.id)
    assert (kinds["group.failed"], kinds["group.confirmed"], kinds["order.created"]) == (1, 0, 0)
    [failed] = await event_rows(db, campaign.id, "group.failed")
    assert failed.data == {"group_id": campaign.id, "reason": reason}
    released = await event_rows(db, campaign.id, "intent.released")
    assert sorted((str(e.account_id), e.data["intent_id"]) for e in released) == sorted(
        (c["id"], i["id"]) for c, i in zip(campaign.consumers, campaign.intents, strict=True)
    )
    assert {e.data["reason"] for e in released} == {"group_failed"}

    response = await clearing(client, campaign.consumers[0], campaign.id)
    [mine] = response.json()["your_intents"]
    assert (mine["status"], mine["reason"], mine["unit_price"]) == (
        "released",
        "group_failed",
        None,
    )


async def test_a_request_without_any_offer_fails(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    other = await make_account("consumer")
    intent = await joined(client, other, group["id"], 3, max_unit_price=500)

    body = await closed(client, owner, group["id"])

    assert body["status"] == "failed"
    assert body["your_intents"] == []  # the owner is a consumer without intents here
    [failed] = await event_rows(db, group["id"], "group.failed")
    assert failed.data == {"group_id": group["id"], "reason": "no_offer"}
    [released] = await event_rows(db, group["id"], "intent.released")
    assert (str(released.account_id), released.data["intent_id"]) == (other["id"], intent["id"])
    assert await orders_of(db, group["id"]) == []


async def test_a_request_is_won_by_the_cheaper_of_two_bids(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    dear, cheap = await make_account("manufacturer"), await make_account("manufacturer")
    # The cheaper bid comes second, so the tie-break (earlier offer) cannot be what picks it.
    first = await bid(client, dear, group["id"], ladder=tiers((1, 900), (10, 850)))
    second = await bid(client, cheap, group["id"], ladder=tiers((1, 800), (10, 700)))
    assert (first.status_code, second.status_code) == (201, 201)
    pledges = [(5, 1000), (5, 700), (5, 650)]
    consumers = [await make_account("consumer") for _ in pledges]
    intents = [
        await joined(client, c, group["id"], q, max_unit_price=p)
        for c, (q, p) in zip(consumers, pledges, strict=True)
    ]

    body = await closed(client, owner, group["id"])

    # dear: at 850 only the 5 units of limit 1000 are in, price(5) = 900 > 850; at 900 → p* = 900.
    # cheap: at 700 → 10 units, price(10) = 700 → p* = 700, so cheap wins and the 650 is out.
    assert (body["status"], body["unit_price"], body["accepted_quantity"]) == ("confirmed", 700, 10)
    assert body["winning_offer_id"] == second.json()["id"]
    rows = await intents_of(db, group["id"])
    assert [rows[i["id"]].status.value for i in intents] == ["confirmed", "confirmed", "rejected"]

    # The order goes to the winner only.
    [order] = await orders_of(db, group["id"])
    assert (str(order.manufacturer_id), str(order.offer_id)) == (cheap["id"], second.json()["id"])
    winner = await client.get("/v1/orders", headers=cheap["headers"])
    loser = await client.get("/v1/orders", headers=dear["headers"])
    assert [o["id"] for o in winner.json()["data"]] == [body["order_id"]]
    assert loser.json()["data"] == []
    problem(await get_order(client, dear, body["order_id"]), 404, "order_not_found")
    [created] = await event_rows(db, group["id"], "order.created")
    assert str(created.account_id) == cheap["id"]

    # Both bidders may read the clearing: the loser learns it lost.
    for bidder in (dear, cheap):
        response = await clearing(client, bidder, group["id"])
        assert response.status_code == 200, response.text
        assert response.json()["winning_offer_id"] == second.json()["id"]


async def test_a_default_limit_is_never_confirmed_above_it(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    whale, late, steady = [await make_account("consumer") for _ in range(3)]
    campaign = await start_campaign(client, make_account, [], maker=maker)
    # Below MOQ the default limit is the first tier's price; at 100 units it is the shown 600.
    big = await joined(client, whale, campaign.id, 100)
    small = await joined(client, late, campaign.id, 5)
    assert (big["max_unit_price"], small["max_unit_price"]) == (1000, 600)
    assert (await withdraw(client, whale, big["id"])).status_code == 200
    # 65 units in all: 600 needs 100, so the clearing settles at 800, above `late`'s limit.
    kept = await joined(client, steady, campaign.id, 60)
    assert kept["max_unit_price"] == 1000  # 5 units were below MOQ: the first tier's price

    body = await closed(client, maker, campaign.id)

    assert (body["unit_price"], body["accepted_quantity"]) == (800, 60)
    rows = await intents_of(db, campaign.id)
    assert (rows[small["id"]].status.value, rows[small["id"]].reason) == (
        "rejected",
        "price_above_limit",
    )
    assert rows[small["id"]].unit_price is None
    assert (rows[kept["id"]].status.value, rows[kept["id"]].unit_price) == ("confirmed", 800)
    assert rows[big["id"]].status.value == "withdrawn"  # a withdrawn intent is left as it was
    for row in rows.values():
        if row.unit_price is not None:
            assert row.unit_price <= row.max_unit_price
    assert sorted(e.type for e in await event_rows(db, campaign.id) if e.type[:7] == "intent.") == [
        "intent.confirmed",
        "intent.created",
        "intent.created",
        "intent.created",
        "intent.rejected",
        "intent.withdrawn",
    ]


async def test_the_worker_closes_due_groups_only_each_once(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    due_late = await start_campaign(client, make_account, [(60, None, None)], maker=maker)
    due_early = await start_campaign(client, make_account, [(3, None, None)], maker=maker)
    not_due = await start_campaign(client, make_account, [(60, None, None)], maker=maker)
    await set_deadline(db, due_late.id, timedelta(seconds=-5))
    await set_deadline(db, due_early.id, timedelta(minutes=-5))

    now = datetime.now(UTC)
    # Earliest deadline first; then nothing is left to do.
    assert await close_due(db, now) == uuid.UUID(due_early.id)
    assert await close_due(db, now) == uuid.UUID(due_late.id)
    assert await close_due(db, now) is None

    statuses = [(await read_group(client, maker, c.id))["status"] for c in (due_late, due_early)]
    assert statuses == ["confirmed", "failed"]
    assert (await read_group(client, maker, not_due.id))["status"] == "open"
    assert len(await orders_of(db, due_late.id)) == 1
    assert await orders_of(db, not_due.id) == []


CLOSERS_REFUSED = [
    ("other-manufacturer", 403, "not_group_owner"),
    ("participant", 403, "not_group_owner"),
    ("other-consumer", 403, "not_group_owner"),
    ("anonymous", 401, "unauthenticated"),
]


async def test_only_the_owner_or_an_admin_closes_or_cancels(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    campaign = await start_campaign(client, make_account, [(60, None, None)])
    callers: dict[str, Account] = {
        "other-manufacturer": await make_account("manufacturer"),
        "participant": campaign.consumers[0],
        "other-consumer": await make_account("consumer"),
        "anonymous": {"headers": {}},
    }
    before = await snapshot(db)

    for who, status, code in CLOSERS_REFUSED:
        problem(await close(client, callers[who], campaign.id), status, code)
        problem(await cancel(client, callers[who], campaign.id), status, code)

    assert await snapshot(db) == before
    assert (await read_group(client, campaign.maker, campaign.id))["status"] == "open"


@pytest.mark.parametrize("path", ["close", "cancel", "clearing"])
@pytest.mark.parametrize("group_id", [str(uuid.UUID(int=7)), "not-a-uuid"])
async def test_an_unknown_group_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str, group_id: str
) -> None:
    url = f"/v1/groups/{group_id}/{path}"
    response = await (client.get if path == "clearing" else client.post)(url, headers=admin_headers)
    problem(response, 404, "group_not_found")


@pytest.mark.parametrize("pledge", [60, 3], ids=["confirmed", "failed"])
async def test_closing_again_returns_the_same_clearing(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    pledge: int,
) -> None:
    campaign = await start_campaign(client, make_account, [(pledge, None, None)])
    first = await closed(client, campaign.maker, campaign.id)
    before = await snapshot(db)

    again = await closed(client, campaign.maker, campaign.id)
    by_admin = await closed(client, {"headers": admin_headers}, campaign.id)

    assert again == first
    assert by_admin == first
    assert await snapshot(db) == before  # nothing written: no second order, no event
    kinds = await event_types(db, campaign.id)
    assert kinds["group.confirmed"] + kinds["group.failed"] == 1
    assert len(await orders_of(db, campaign.id)) == (1 if first["status"] == "confirmed" else 0)


@pytest.mark.parametrize("by", ["owner", "admin"])
async def test_cancel_releases_the_intents_once(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    by: str,
) -> None:
    campaign = await start_campaign(client, make_account, [(20, None, None), (30, 900, "DE-BE")])
    gone = await joined(client, campaign.consumers[0], campaign.id, 4)
    assert (await withdraw(client, campaign.consumers[0], gone["id"])).status_code == 200
    canceller = campaign.maker if by == "owner" else {"headers": admin_headers}

    response = await cancel(client, canceller, campaign.id)

    assert response.status_code == 200, response.text
    group = response.json()
    assert (group["id"], group["status"]) == (campaign.id, "cancelled")
    assert group["closed_at"] is not None
    rows = await intents_of(db, campaign.id)
    assert {(rows[i["id"]].status.value, rows[i["id"]].reason) for i in campaign.intents} == {
        ("released", "group_cancelled")
    }
    assert rows[gone["id"]].status.value == "withdrawn"
    kinds = await event_types(db, campaign.id)
    assert (kinds["group.cancelled"], kinds["intent.released"]) == (1, 2)
    for event in await event_rows(db, campaign.id, "intent.released"):
        owner = next(
            c
            for c, i in zip(campaign.consumers, campaign.intents, strict=True)
            if i["id"] == event.data["intent_id"]
        )
        assert str(event.account_id) == owner["id"]
        assert event.data["reason"] == "group_cancelled"
    assert await orders_of(db, campaign.id) == []
    before = await snapshot(db)

    # Cancelling again is harmless; closing a cancelled group is refused; nothing changes.
    repeat = await cancel(client, canceller, campaign.id)
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == group
    for closer in (campaign.maker, {"headers": admin_headers}):
        problem(await close(client, closer, campaign.id), 409, "group_cancelled")
    assert await snapshot(db) == before

    seen = await clearing(client, campaign.consumers[1], campaign.id)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["status"] == "cancelled"
    assert (body["unit_price"], body["order_id"], body["winning_offer_id"]) == (None, None, None)
    [mine] = body["your_intents"]
    assert (mine["status"], mine["reason"]) == ("released", "group_cancelled")


@pytest.mark.parametrize("pledge", [60, 3], ids=["confirmed", "failed"])
async def test_a_closed_group_cannot_be_cancelled(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    pledge: int,
) -> None:
    campaign = await start_campaign(client, make_account, [(pledge, None, None)])
    await closed(client, campaign.maker, campaign.id)
    before = await snapshot(db)

    for canceller in (campaign.maker, {"headers": admin_headers}):
        problem(await cancel(client, canceller, campaign.id), 409, "group_already_closed")

    assert await snapshot(db) == before
    assert (await event_types(db, campaign.id))["group.cancelled"] == 0


@pytest.mark.parametrize("end", ["confirmed", "failed", "cancelled"])
async def test_a_group_that_left_open_is_frozen(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, end: str
) -> None:
    owner, bidder, member = [
        await make_account(r) for r in ("consumer", "manufacturer", "consumer")
    ]
    group = await make_request(client, owner)
    assert (await bid(client, bidder, group["id"], ladder=tiers((1, 500)))).status_code == 201
    # A limit of 400 is below the only bid's price: the close fails.
    intent = await joined(
        client, member, group["id"], 3, max_unit_price=400 if end == "failed" else 600
    )
    if end == "cancelled":
        assert (await cancel(client, owner, group["id"])).status_code == 200
    else:
        assert (await closed(client, owner, group["id"]))["status"] == end
    before = await snapshot(db)

    problem(await join(client, member, group["id"], 1, max_unit_price=600), 409, "group_not_open")
    problem(await bid(client, bidder, group["id"], ladder=tiers((1, 450))), 409, "group_not_open")
    late = await make_account("manufacturer")
    problem(await bid(client, late, group["id"], ladder=tiers((1, 450))), 409, "group_not_open")
    # The intent itself has an outcome now, so it is no longer active.
    problem(await withdraw(client, member, intent["id"]), 409, "intent_not_active")

    assert await snapshot(db) == before


async def test_an_intent_of_a_due_group_stays_until_the_close(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    campaign = await start_campaign(client, make_account, [(60, None, None)])
    await make_due(db, campaign.id)
    before = await snapshot(db)

    problem(
        await withdraw(client, campaign.consumers[0], campaign.intents[0]["id"]),
        409,
        "group_not_open",
    )
    problem(await join(client, campaign.consumers[0], campaign.id, 1), 409, "group_not_open")

    assert await snapshot(db) == before
    body = await closed(client, campaign.maker, campaign.id)  # a due group still closes by API
    assert (body["status"], body["accepted_quantity"]) == ("confirmed", 60)


CLEARING_READERS = [
    # (who, status, code or None, sees own intents)
    ("member", 200, None, True),
    ("owner", 200, None, True),  # a consumer that owns the request: its list is empty
    ("bidder", 200, None, False),
    ("admin", 200, None, False),
    ("other-consumer", 403, "not_in_group", False),
    ("other-manufacturer", 403, "not_in_group", False),
    ("anonymous", 401, "unauthenticated", False),
]


@pytest.mark.parametrize("closed_first", [False, True], ids=["open", "closed"])
async def test_who_reads_the_clearing(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    closed_first: bool,
) -> None:
    owner, bidder, member = [
        await make_account(r) for r in ("consumer", "manufacturer", "consumer")
    ]
    group = await make_request(client, owner)
    offer = await bid(client, bidder, group["id"], ladder=tiers((1, 500)))
    intent = await joined(client, member, group["id"], 4, max_unit_price=600)
    callers: dict[str, Account] = {
        "member": member,
        "owner": owner,
        "bidder": bidder,
        "admin": {"headers": admin_headers},
        "other-consumer": await make_account("consumer"),
        "other-manufacturer": await make_account("manufacturer"),
        "anonymous": {"headers": {}},
    }
    if closed_first:
        await closed(client, owner, group["id"])

    for who, status, code, own in CLEARING_READERS:
        response = await clearing(client, callers[who], group["id"])

        if code is not None:
            problem(response, status, code)
            continue
        assert response.status_code == 200, (who, response.text)
        body = response.json()
        assert body["group_id"] == group["id"]
        if closed_first:
            assert (body["status"], body["unit_price"], body["accepted_quantity"]) == (
                "confirmed",
                500,
                4,
            )
            assert body["winning_offer_id"] == offer.json()["id"]
            uuid.UUID(body["order_id"])
            assert body["closed_at"] is not None
        else:
            assert body["status"] == "open"
            assert {k: body[k] for k in NULL_CLEARING} == NULL_CLEARING
        if not own:
            assert body["your_intents"] is None, who
        elif who == "owner":
            assert body["your_intents"] == []
        else:
            [mine] = body["your_intents"]
            expected = ("confirmed", 500, None) if closed_first else ("active", None, None)
            assert mine["id"] == intent["id"]
            assert (mine["status"], mine["unit_price"], mine["reason"]) == expected


async def test_a_consumer_sees_each_of_its_intents_outcome(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    campaign = await start_campaign(client, make_account, [(40, 1000, None), (15, 1000, None)])
    consumer = campaign.consumers[0]
    cheap = await joined(client, consumer, campaign.id, 2, max_unit_price=700)
    gone = await joined(client, consumer, campaign.id, 3, max_unit_price=1000)
    assert (await withdraw(client, consumer, gone["id"])).status_code == 200
    await closed(client, campaign.maker, campaign.id)  # 55 units at 800: the 700 limit is out

    response = await clearing(client, consumer, campaign.id)

    mine = {
        i["id"]: (i["status"], i["unit_price"], i["reason"])
        for i in response.json()["your_intents"]
    }
    assert mine == {
        campaign.intents[0]["id"]: ("confirmed", 800, None),
        cheap["id"]: ("rejected", None, "price_above_limit"),
        gone["id"]: ("withdrawn", None, None),
    }
    # Another participant's intents are not in its list.
    other = await clearing(client, campaign.consumers[1], campaign.id)
    assert [i["id"] for i in other.json()["your_intents"]] == [campaign.intents[1]["id"]]


async def listed_group(client: httpx.AsyncClient, caller: Account, group_id: str) -> dict[str, Any]:
    """The group as ``GET /v1/groups`` lists it (the list view, not the one-group read)."""
    response = await client.get("/v1/groups", params={"limit": 200}, headers=caller["headers"])
    assert response.status_code == 200, response.text
    [group] = [g for g in response.json()["data"] if g["id"] == group_id]
    return group


async def test_a_confirmed_group_shows_its_clearing_not_live_pricing(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner, ada, bob = [await make_account("consumer") for _ in range(3)]
    group = await make_request(client, owner)
    deep = tiers((10, 1000), (50, 700), (100, 500))
    flat = tiers((10, 900))
    cheap = await bid(client, await make_account("manufacturer"), group["id"], ladder=deep)
    winner = await bid(client, await make_account("manufacturer"), group["id"], ladder=flat)
    await joined(client, ada, group["id"], 10, max_unit_price=1000)
    await joined(client, bob, group["id"], 45, max_unit_price=650)
    # Live at 55 units: the deep ladder is cheapest (700, next break 500 at 100).
    live = await read_group(client, owner, group["id"])
    assert (live["current_unit_price"], live["best_offer_id"]) == (700, cheap.json()["id"])
    assert live["next_break"] == {"min_quantity": 100, "unit_price": 500, "units_needed": 45}

    # Bob's limit is below every price, so only Ada's 10 units count: deep clears at 1000 only,
    # flat at 900, which wins.
    body = await closed(client, owner, group["id"])
    assert (body["unit_price"], body["winning_offer_id"]) == (900, winner.json()["id"])

    for caller in (owner, ada, await make_account("manufacturer")):
        for shown in (
            await read_group(client, caller, group["id"]),
            await listed_group(client, caller, group["id"]),
        ):
            assert shown["status"] == "confirmed"
            assert (shown["current_unit_price"], shown["next_break"]) == (900, None)
            assert (shown["best_offer_id"], shown["tiers"]) == (winner.json()["id"], flat)
            # The pledges as they stood at the close, rejected ones included.
            assert (shown["total_quantity"], shown["participant_count"]) == (55, 2)


@pytest.mark.parametrize("end", ["failed", "cancelled"])
async def test_a_failed_or_cancelled_group_shows_no_price(
    client: httpx.AsyncClient, make_account: MakeAccount, end: str
) -> None:
    # 60 units price at 800 (next break 600 at 100), but a limit of 500 clears no tier.
    campaign = await start_campaign(client, make_account, [(60, 500, None)])
    live = await read_group(client, campaign.maker, campaign.id)
    assert (live["current_unit_price"], live["next_break"]["unit_price"]) == (800, 600)

    if end == "cancelled":
        response = await cancel(client, campaign.maker, campaign.id)
        assert response.status_code == 200, response.text
        assert (response.json()["current_unit_price"], response.json()["next_break"]) == (
            None,
            None,
        )
    else:
        assert (await closed(client, campaign.maker, campaign.id))["status"] == "failed"

    for shown in (
        await read_group(client, campaign.consumers[0], campaign.id),
        await listed_group(client, campaign.consumers[0], campaign.id),
    ):
        assert shown["status"] == end
        assert (shown["current_unit_price"], shown["next_break"]) == (None, None)
        assert (shown["total_quantity"], shown["participant_count"]) == (60, 1)


def closes_counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value("pool_groups_closed_total", {"outcome": outcome})
    return value or 0.0


@pytest.mark.parametrize(("pledge", "outcome"), [(60, "confirmed"), (3, "failed")])
async def test_a_close_that_rolls_back_is_not_counted(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
    pledge: int,
    outcome: str,
) -> None:
    campaign = await start_campaign(client, make_account, [(pledge, None, None)])
    await make_due(db, campaign.id)
    before = closes_counted(outcome)
    write = db.write

    @asynccontextmanager
    async def write_losing_the_commit() -> AsyncIterator[AsyncSession]:
        async with write() as session:

            async def lost() -> None:
                raise ConnectionError("the connection dropped during COMMIT")

            monkeypatch.setattr(session, "commit", lost)
            yield session

    with monkeypatch.context() as patch:
        patch.setattr(db, "write", write_losing_the_commit)
        with pytest.raises(CloseFailed) as failed:
            await close_due(db, datetime.now(UTC))
    assert isinstance(failed.value.__cause__, ConnectionError)
    assert failed.value.group_id == uuid.UUID(campaign.id)

    assert closes_counted(outcome) == before  # rolled back: the group is still open
    assert (await read_group(client, campaign.maker, campaign.id))["status"] == "open"
    assert await close_due(db, datetime.now(UTC)) == uuid.UUID(campaign.id)
    assert closes_counted(outcome) == before + 1


async def test_the_largest_order_amount_fits(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    """A billion units at a billion minor units each, the most a group can reach: the order's
    amount (10^18) is stored and shown exactly."""
    dearest = {"currency": "EUR", "tiers": tiers((1, 10**9))}
    campaign = await start_campaign(client, make_account, [(1, None, "DE")], offer=dearest)
    async with db.write() as session:  # one intent of a billion units, beyond max_per_intent
        await session.execute(
            update(Intent).where(Intent.group_id == uuid.UUID(campaign.id)).values(quantity=10**9)
        )
        await session.commit()
    result = await closed(client, campaign.maker, campaign.id)
    assert (result["status"], result["unit_price"]) == ("confirmed", 10**9)
    order = (await get_order(client, campaign.maker, result["order_id"])).json()
    assert (order["total_quantity"], order["total_amount"]) == (10**9, 10**18)
