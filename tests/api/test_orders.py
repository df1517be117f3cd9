"""GET /v1/orders, GET /v1/orders/{id}, GET /v1/orders/{id}/lines, POST …/acknowledge: what a
confirmed group emits to its winning manufacturer, and who may read or acknowledge it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.db.engine import Database
from tests.api.closing_helpers import (
    Campaign,
    acknowledge,
    closed,
    event_rows,
    get_order,
    order_lines,
    start_campaign,
    text_mentions,
)
from tests.api.groups_helpers import joined, problem, snapshot
from tests.helpers import Account, MakeAccount


async def confirmed_order(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    pledges: list[tuple[int, int | None, str | None]],
    maker: Account | None = None,
) -> tuple[Campaign, dict[str, Any]]:
    """A campaign closed with these pledges, and its order as its manufacturer reads it."""
    campaign = await start_campaign(client, make_account, pledges, maker=maker)
    body = await closed(client, campaign.maker, campaign.id)
    assert body["status"] == "confirmed", body
    response = await get_order(client, campaign.maker, body["order_id"])
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return campaign, order


async def all_pages(
    client: httpx.AsyncClient, caller: Account, url: str, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """Follow ``next_cursor`` from the first page to the end; every page's data."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=query, headers=caller["headers"])
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor never ends"


async def test_an_order_carries_its_totals_per_delivery_area(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    pledges = [
        (20, 1000, "DE-BE"),
        (15, 1000, "FR-75"),
        (10, 1000, "DE-BE"),
        (5, 1000, None),
        (3, 700, "IT-RM"),  # 53 units cannot buy 600; at 800 this one is out
    ]
    campaign, order = await confirmed_order(client, make_account, pledges)

    assert (order["unit_price"], order["total_quantity"], order["total_amount"]) == (
        800,
        50,
        40_000,
    )
    assert order["line_count"] == 4
    assert order["group_id"] == campaign.id
    assert order["manufacturer_id"] == campaign.maker["id"]
    assert order["status"] == "confirmed"
    assert order["acknowledged_at"] is None
    assert order["area_totals"] == [
        {"delivery_area": "DE-BE", "lines": 2, "quantity": 30},
        {"delivery_area": "FR-75", "lines": 1, "quantity": 15},
        {"delivery_area": None, "lines": 1, "quantity": 5},
    ]


async def test_lines_page_through_every_confirmed_intent_once_with_opaque_refs(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    names = [f"Zelda Quux {uuid.uuid4().hex[:8]}" for _ in range(4)]
    consumers = [await make_account("consumer", name) for name in names]
    campaign = await start_campaign(client, make_account, [], maker=maker)
    plan = [(0, 10, "DE-BE"), (1, 12, None), (2, 8, "FR-75"), (0, 5, "DE-BE")]
    plan += [(3, 9, "AT-9"), (1, 4, None), (2, 7, "FR-75"), (3, 2, "AT-9")]  # 8 intents
    intents = [
        await joined(
            client,
            consumers[who],
            campaign.id,
            quantity,
            max_unit_price=1000,
            **({"delivery_area": area} if area else {}),
        )
        for who, quantity, area in plan
    ]
    rejected = await joined(client, consumers[0], campaign.id, 1, max_unit_price=700)
    body = await closed(client, maker, campaign.id)
    assert (body["unit_price"], body["accepted_quantity"]) == (800, 57)
    order_id = body["order_id"]

    pages = await all_pages(client, maker, f"/v1/orders/{order_id}/lines", limit=3)

    assert [len(page) for page in pages] == [3, 3, 2]
    lines = [line for page in pages for line in page]
    assert sorted(line["id"] for line in lines) == sorted(i["id"] for i in intents)
    assert rejected["id"] not in {line["id"] for line in lines}
    by_intent = {line["id"]: line for line in lines}
    refs: dict[int, set[str]] = {}
    for (who, quantity, area), intent in zip(plan, intents, strict=True):
        line = by_intent[intent["id"]]
        assert (line["quantity"], line["delivery_area"]) == (quantity, area)
        refs.setdefault(who, set()).add(line["consumer_ref"])
    # One reference per consumer in this group, a different one for each consumer.
    assert all(len(seen) == 1 for seen in refs.values()), refs
    assert len(set.union(*refs.values())) == len(consumers)
    one_page = await client.get(f"/v1/orders/{order_id}/lines", headers=maker["headers"])
    assert one_page.json()["next_cursor"] is None
    assert [line["id"] for line in one_page.json()["data"]] == [line["id"] for line in lines]
    assert len(await order_lines(db, order_id)) == 8

    # Nothing the manufacturer reads names a consumer: not its id (either spelling), nor its name.
    secrets = [c["id"] for c in consumers]
    secrets += [uuid.UUID(c["id"]).hex for c in consumers] + names
    order = (await get_order(client, maker, order_id)).json()
    [created] = await event_rows(db, campaign.id, "order.created")
    for seen in (pages, order, one_page.json(), created.data):
        assert text_mentions(seen, secrets) == []
    assert text_mentions(pages, [names[0], consumers[0]["id"]]) == []
    assert text_mentions({"x": names[0]}, [names[0]]) == [names[0]]  # the probe itself works


async def test_orders_list_newest_first_filter_by_status_and_page(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    maker = await make_account("manufacturer")
    made = [
        (await confirmed_order(client, make_account, [(10 + i, None, None)], maker=maker))[1]
        for i in range(3)
    ]
    _, foreign = await confirmed_order(client, make_account, [(50, None, None)])
    assert (await acknowledge(client, maker, made[1]["id"])).status_code == 200
    newest_first = [o["id"] for o in reversed(made)]

    listed = await client.get("/v1/orders", headers=maker["headers"])
    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["data"]] == newest_first
    assert listed.json()["next_cursor"] is None
    assert listed.json()["data"][0]["total_quantity"] == 12

    pages = await all_pages(client, maker, "/v1/orders", limit=2)
    assert [[o["id"] for o in page] for page in pages] == [newest_first[:2], newest_first[2:]]
    singles = await all_pages(client, maker, "/v1/orders", limit=1)
    assert [o["id"] for page in singles for o in page] == newest_first

    for status, expected in [
        ("acknowledged", [made[1]["id"]]),
        ("confirmed", [made[2]["id"], made[0]["id"]]),
    ]:
        paged = await all_pages(client, maker, "/v1/orders", limit=1, status=status)
        assert [o["id"] for page in paged for o in page] == expected, status
        assert {o["status"] for page in paged for o in page} == {status}
    problem(
        await client.get("/v1/orders", params={"status": "open"}, headers=maker["headers"]),
        422,
        "validation_error",
    )
    problem(
        await client.get("/v1/orders", params={"cursor": "!!"}, headers=maker["headers"]),
        400,
        "invalid_cursor",
    )

    # An admin lists every manufacturer's orders.
    every = await all_pages(client, {"headers": admin_headers}, "/v1/orders", limit=3)
    assert sorted(o["id"] for page in every for o in page) == sorted(
        [o["id"] for o in made] + [foreign["id"]]
    )


async def test_acknowledge_is_idempotent(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    campaign, order = await confirmed_order(client, make_account, [(60, None, "DE-BE")])

    first = await acknowledge(client, campaign.maker, order["id"])
    assert first.status_code == 200, first.text
    before = await snapshot(db)
    second = await acknowledge(client, campaign.maker, order["id"])

    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    body = first.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] is not None
    assert {k: v for k, v in body.items() if k not in ("status", "acknowledged_at")} == {
        k: v for k, v in order.items() if k not in ("status", "acknowledged_at")
    }
    assert (await get_order(client, campaign.maker, order["id"])).json() == body
    assert await snapshot(db) == before
    [event] = await event_rows(db, campaign.id, "order.acknowledged")
    assert str(event.account_id) == campaign.maker["id"]
    assert event.data == {"order_id": order["id"], "group_id": campaign.id}


# (who, list, read one, read lines, acknowledge): expected (status, code) per call.
NOT_YOURS = (404, "order_not_found")
FORBIDDEN = (403, "forbidden")
ORDER_ACCESS = {
    "other-manufacturer": ((200, None), NOT_YOURS, NOT_YOURS, NOT_YOURS),
    "participant": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "consumer": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "admin": ((200, None), (200, None), (200, None), FORBIDDEN),
    "anonymous": ((401, "unauthenticated"),) * 4,
}


async def test_who_reads_and_acknowledges_an_order(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
) -> None:
    campaign, order = await confirmed_order(client, make_account, [(60, None, None)])
    lines = (
        await client.get(f"/v1/orders/{order['id']}/lines", headers=campaign.maker["headers"])
    ).json()
    callers: dict[str, Account] = {
        "other-manufacturer": await make_account("manufacturer"),
        "participant": campaign.consumers[0],
        "consumer": await make_account("consumer"),
        "admin": {"headers": admin_headers},
        "anonymous": {"headers": {}},
    }
    base = f"/v1/orders/{order['id']}"
    before = await snapshot(db)

    for who, expected in ORDER_ACCESS.items():
        headers = callers[who]["headers"]
        answers = [
            await client.get("/v1/orders", headers=headers),
            await client.get(base, headers=headers),
            await client.get(f"{base}/lines", headers=headers),
            await client.post(f"{base}/acknowledge", headers=headers),
        ]
        for answer, (status, code) in zip(answers, expected, strict=True):
            if code is None:
                assert answer.status_code == status, (who, answer.text)
            else:
                problem(answer, status, code)
        if who == "other-manufacturer":
            assert answers[0].json()["data"] == []
        if who == "admin":
            assert [o["id"] for o in answers[0].json()["data"]] == [order["id"]]
            assert answers[1].json() == order
            assert answers[2].json() == lines

    assert await snapshot(db) == before  # nobody acknowledged it
    assert (await get_order(client, campaign.maker, order["id"])).json()["status"] == "confirmed"


@pytest.mark.parametrize("order_id", [str(uuid.UUID(int=9)), "not-a-uuid"])
async def test_an_unknown_order_is_404(
    client: httpx.AsyncClient, make_account: MakeAccount, order_id: str
) -> None:
    maker = await make_account("manufacturer")
    for method, path in [
        ("GET", ""),
        ("GET", "/lines"),
        ("POST", "/acknowledge"),
    ]:
        response = await client.request(
            method, f"/v1/orders/{order_id}{path}", headers=maker["headers"]
        )
        problem(response, 404, "order_not_found")
