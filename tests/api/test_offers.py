"""POST and GET /v1/groups/{id}/offers: who bids where, replacement, visibility, the best offer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.db.engine import Database
from app.db.models import Group, GroupStatus, Offer, OfferStatus
from tests.api.groups_helpers import (
    TIERS,
    bid,
    caller,
    events,
    expire,
    joined,
    make_campaign,
    make_request,
    offer_body,
    problem,
    read_group,
    snapshot,
    tiers,
)
from tests.helpers import MakeAccount


async def test_a_manufacturer_bids_on_a_request(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    consumer, maker = await make_account("consumer"), await make_account("manufacturer")
    group = await make_request(client, consumer)
    response = await bid(client, maker, group["id"], currency="eur")
    assert response.status_code == 201, response.text
    offer = response.json()
    assert offer.keys() == {"id", "group_id", "manufacturer_id", "currency", "tiers", "created_at"}
    assert (offer["group_id"], offer["manufacturer_id"]) == (group["id"], maker["id"])
    assert (offer["currency"], offer["tiers"]) == ("EUR", TIERS)

    shown = await read_group(client, consumer, group["id"])
    assert (shown["offer_count"], shown["best_offer_id"], shown["tiers"]) == (1, offer["id"], TIERS)
    assert shown["next_break"] == {"min_quantity": 10, "unit_price": 1000, "units_needed": 10}
    # offer.created is private: one copy for the bidder, one for the request's owner.
    copies = await events(db, "offer.created")
    assert [str(e.account_id) for e in copies] == [maker["id"], consumer["id"]]
    for event in copies:
        assert event.data == {
            "group_id": group["id"],
            "offer_id": offer["id"],
            "currency": "EUR",
            "tiers": [[10, 1000], [50, 800], [100, 600]],
        }


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [("consumer", 403, "forbidden"), ("admin", 403, "forbidden"), (None, 401, "unauthenticated")],
)
async def test_only_manufacturers_bid(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    role: str | None,
    status: int,
    code: str,
) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    who = owner if role == "consumer" else await caller(make_account, role)
    before = await snapshot(db)
    problem(await bid(client, who, group["id"]), status, code)
    assert await snapshot(db) == before


@pytest.mark.parametrize("bidder", ["owner", "other"])
async def test_a_campaign_takes_no_bids(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, bidder: str
) -> None:
    owner = await make_account("manufacturer")
    group = await make_campaign(client, owner)
    who = owner if bidder == "owner" else await make_account("manufacturer")
    before = await snapshot(db)
    problem(await bid(client, who, group["id"]), 409, "campaign_takes_no_bids")
    assert await snapshot(db) == before
    assert (await read_group(client, who, group["id"]))["best_offer_id"] == group["best_offer_id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (offer_body("USD"), "currency_mismatch"),
        (offer_body(ladder=tiers((50, 800), (10, 1000))), "invalid_tiers"),
        (offer_body(ladder=tiers((10, 1000), (10, 1000))), "invalid_tiers"),
        (offer_body(ladder=tiers((10, 800), (50, 801))), "invalid_tiers"),
        (offer_body(ladder=tiers((0, 800))), "validation_error"),
        (offer_body(ladder=tiers(*[(q, 5000 - q) for q in range(1, 52)])), "validation_error"),
        (offer_body(ladder=[]), "validation_error"),
        (offer_body("E1R"), "validation_error"),
        ({"currency": "EUR"}, "validation_error"),
        ({**offer_body(), "group_id": str(uuid.uuid4())}, "validation_error"),
    ],
)
async def test_an_invalid_bid_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    body: dict[str, Any],
    code: str,
) -> None:
    group = await make_request(client, await make_account("consumer"))
    maker = await make_account("manufacturer")
    before = await snapshot(db)
    response = await client.post(
        f"/v1/groups/{group['id']}/offers", json=body, headers=maker["headers"]
    )
    problem(response, 422, code)
    assert await snapshot(db) == before


async def test_a_second_bid_replaces_the_first(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    consumer = await make_account("consumer")
    group = await make_request(client, consumer)
    maker, rival = await make_account("manufacturer"), await make_account("manufacturer")
    first = (await bid(client, maker, group["id"])).json()
    rivals = (await bid(client, rival, group["id"], ladder=tiers((5, 1200)))).json()
    second = await bid(client, maker, group["id"], ladder=tiers((5, 990), (20, 700)))
    assert second.status_code == 201, second.text
    second_id = second.json()["id"]
    assert second_id != first["id"]

    listed = await client.get(f"/v1/groups/{group['id']}/offers", headers=consumer["headers"])
    assert [(o["id"], o["manufacturer_id"]) for o in listed.json()["data"]] == [
        (rivals["id"], rival["id"]),
        (second_id, maker["id"]),
    ]
    shown = await read_group(client, consumer, group["id"])
    assert shown["offer_count"] == 2
    assert shown["best_offer_id"] == second_id  # 990 at MOQ 5 beats 1200 at MOQ 5
    async with db.read() as session:
        statuses = dict((await session.execute(select(Offer.id, Offer.status))).all())
    assert statuses == {
        uuid.UUID(first["id"]): OfferStatus.replaced,
        uuid.UUID(rivals["id"]): OfferStatus.active,
        uuid.UUID(second_id): OfferStatus.active,
    }
    # Each bid's offer.created: one copy for its bidder, one for the request's owner.
    readers = [str(e.account_id) for e in await events(db, "offer.created")]
    bidders = [maker["id"], rival["id"], maker["id"]]
    assert readers == [who for bidder in bidders for who in (bidder, consumer["id"])]


@pytest.mark.parametrize(
    ("group_id", "status", "code"),
    [(str(uuid.uuid4()), 404, "group_not_found"), ("not-a-uuid", 404, "group_not_found")],
)
async def test_bidding_on_an_unknown_group_is_404(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    group_id: str,
    status: int,
    code: str,
) -> None:
    maker = await make_account("manufacturer")
    before = await snapshot(db)
    problem(await bid(client, maker, group_id), status, code)
    response = await client.get(f"/v1/groups/{group_id}/offers", headers=maker["headers"])
    problem(response, status, code)
    assert await snapshot(db) == before


@pytest.mark.parametrize("state", ["past its deadline", "cancelled"])
async def test_a_request_that_is_not_open_takes_no_bids(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, state: str
) -> None:
    group = await make_request(client, await make_account("consumer"))
    if state == "cancelled":
        # Cancelling is another issue's route; set the status directly.
        async with db.write() as session:
            await session.execute(
                update(Group)
                .where(Group.id == uuid.UUID(group["id"]))
                .values(status=GroupStatus.cancelled)
            )
            await session.commit()
    else:
        await expire(db, group["id"])
    before = await snapshot(db)
    response = await bid(client, await make_account("manufacturer"), group["id"])
    assert state in problem(response, 409, "group_not_open")["detail"]
    assert await snapshot(db) == before


async def test_who_sees_which_bids(client: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    first, bidder, idle = [await make_account("manufacturer") for _ in range(3)]
    one = (await bid(client, first, group["id"])).json()["id"]
    two = (await bid(client, bidder, group["id"], ladder=tiers((1, 2000)))).json()["id"]
    readers = {
        "owner": owner,
        "other consumer": await make_account("consumer"),
        "admin": await make_account("admin"),
        "second bidder": bidder,
        "idle manufacturer": idle,
    }
    seen = {}
    for name, reader in readers.items():
        response = await client.get(f"/v1/groups/{group['id']}/offers", headers=reader["headers"])
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        seen[name] = [o["id"] for o in response.json()["data"]]
    assert seen == {
        "owner": [one, two],
        "other consumer": [one, two],
        "admin": [one, two],
        "second bidder": [two],
        "idle manufacturer": [],
    }
    problem(await client.get(f"/v1/groups/{group['id']}/offers"), 401, "unauthenticated")


async def test_a_campaigns_owner_sees_its_offer(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    group = await make_campaign(client, maker)
    response = await client.get(f"/v1/groups/{group['id']}/offers", headers=maker["headers"])
    [offer] = response.json()["data"]
    assert (offer["id"], offer["manufacturer_id"], offer["tiers"]) == (
        group["best_offer_id"],
        maker["id"],
        TIERS,
    )


# Bids: early (10 → 1000), (50 → 800); late (20 → 900), (40 → 850).
EARLY = tiers((10, 1000), (50, 800))
LATE = tiers((20, 900), (40, 850))


@pytest.mark.parametrize(
    ("volume", "best", "price"),
    [
        (0, "early", None),  # below every MOQ: the lowest MOQ is shown
        (15, "early", 1000),  # only the early bid has a price
        (25, "late", 900),
        (45, "late", 850),
        (55, "early", 800),
    ],
)
async def test_a_request_shows_its_cheapest_bid_at_the_current_volume(
    client: httpx.AsyncClient, make_account: MakeAccount, volume: int, best: str, price: int | None
) -> None:
    consumer = await make_account("consumer")
    group = await make_request(client, consumer)
    ids = {
        "early": (await bid(client, await make_account("manufacturer"), group["id"], ladder=EARLY)),
        "late": (await bid(client, await make_account("manufacturer"), group["id"], ladder=LATE)),
    }
    if volume:
        await joined(client, consumer, group["id"], volume)
    shown = await read_group(client, consumer, group["id"])
    assert shown["best_offer_id"] == ids[best].json()["id"]
    assert shown["tiers"] == {"early": EARLY, "late": LATE}[best]
    assert shown["current_unit_price"] == price
    assert shown["offer_count"] == 2


async def test_a_tie_goes_to_the_earlier_bid(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    consumer = await make_account("consumer")
    group = await make_request(client, consumer)
    early = await bid(
        client, await make_account("manufacturer"), group["id"], ladder=tiers((10, 1000))
    )
    late = await bid(
        client, await make_account("manufacturer"), group["id"], ladder=tiers((10, 1000), (20, 900))
    )
    await joined(client, consumer, group["id"], 10)
    shown = await read_group(client, consumer, group["id"])
    assert (shown["best_offer_id"], shown["current_unit_price"]) == (early.json()["id"], 1000)
    await joined(client, consumer, group["id"], 10)
    shown = await read_group(client, consumer, group["id"])
    assert (shown["best_offer_id"], shown["current_unit_price"]) == (late.json()["id"], 900)
    assert shown["next_break"] is None


async def test_a_bid_that_prices_the_pledged_volume_announces_its_tiers(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    consumer, maker = await make_account("consumer"), await make_account("manufacturer")
    group = await make_request(client, consumer)
    await joined(client, consumer, group["id"], 60, max_unit_price=900)
    offer = (await bid(client, maker, group["id"])).json()
    reached = await events(db, "group.tier_reached")
    assert [(e.data["min_quantity"], e.data["offer_id"]) for e in reached] == [
        (10, offer["id"]),
        (50, offer["id"]),
    ]
    await bid(client, maker, group["id"])  # the same ladder again: nothing new is reached
    await joined(client, consumer, group["id"], 1)
    assert len(await events(db, "group.tier_reached")) == 2


async def pages(
    client: httpx.AsyncClient, reader: dict[str, Any], group_id: str, limit: int
) -> list[list[str]]:
    """Every page of the group's offers as ``reader`` sees them, following ``next_cursor``."""
    found: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await client.get(
            f"/v1/groups/{group_id}/offers", params=params, headers=reader["headers"]
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found.append([o["id"] for o in body["data"]])
        if body["next_cursor"] is None:
            return found
        assert len(found) < 20, "the cursor does not advance"
        params["cursor"] = body["next_cursor"]


async def test_offers_are_cursor_paginated(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    makers = [await make_account("manufacturer") for _ in range(5)]
    ids = [(await bid(client, m, group["id"])).json()["id"] for m in makers]
    everything = await client.get(f"/v1/groups/{group['id']}/offers", headers=owner["headers"])
    assert [o["id"] for o in everything.json()["data"]] == ids  # oldest first
    assert everything.json()["next_cursor"] is None

    assert await pages(client, owner, group["id"], 2) == [ids[0:2], ids[2:4], ids[4:]]
    assert await pages(client, owner, group["id"], 5) == [ids]
    # A bid that replaces one already paged past comes on a later page, once.
    first = await client.get(
        f"/v1/groups/{group['id']}/offers", params={"limit": 2}, headers=owner["headers"]
    )
    rebid = (await bid(client, makers[0], group["id"], ladder=tiers((5, 990)))).json()["id"]
    rest = await client.get(
        f"/v1/groups/{group['id']}/offers",
        params={"limit": 10, "cursor": first.json()["next_cursor"]},
        headers=owner["headers"],
    )
    assert [o["id"] for o in rest.json()["data"]] == [*ids[2:], rebid]
    # Paging keeps the visibility rules: another manufacturer sees only its own bid.
    assert await pages(client, makers[3], group["id"], 1) == [[ids[3]]]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"cursor": "not a cursor"}, 400, "invalid_cursor"),
        ({"limit": 0}, 422, "validation_error"),
        ({"limit": 201}, 422, "validation_error"),
    ],
)
async def test_bad_offer_page_parameters_are_problems(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    params: dict[str, Any],
    status: int,
    code: str,
) -> None:
    owner = await make_account("consumer")
    group = await make_request(client, owner)
    response = await client.get(
        f"/v1/groups/{group['id']}/offers", params=params, headers=owner["headers"]
    )
    problem(response, status, code)
