"""The change feed: visibility, order, cursors, filters, long polls, expiry."""

import asyncio
import base64
import time

import httpx
import pytest

from tests.api.feed_helpers import campaign, deadline, follow, join
from tests.helpers import MakeAccount


async def test_each_caller_sees_public_events_and_only_its_own_private_ones(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    maker, other_maker = await make_account("manufacturer"), await make_account("manufacturer")
    ada, bob = await make_account("consumer", "Ada"), await make_account("consumer", "Bob")
    group = await campaign(client, maker["headers"])
    await join(client, ada["headers"], group["id"], 60, 1000)
    await join(client, bob["headers"], group["id"], 5, 600)
    closed = await client.post(f"/v1/groups/{group['id']}/close", headers=maker["headers"])
    assert closed.status_code == 200

    def types(events: list[dict[str, object]]) -> list[object]:
        return [event["type"] for event in events]

    # offer.created is the bidder's (here the campaign's owner), like order.created.
    public = ["group.created", "group.tier_reached", "group.tier_reached"]
    ada_sees, _ = await follow(client, ada["headers"], expect=6)
    assert types(ada_sees) == [
        *public[:1],
        "intent.created",
        *public[1:],
        "intent.confirmed",
        "group.confirmed",
    ]
    bob_sees, _ = await follow(client, bob["headers"], expect=6)
    assert types(bob_sees) == [*public, "intent.created", "intent.rejected", "group.confirmed"]
    assert types((await follow(client, maker["headers"], expect=6))[0]) == [
        "group.created",
        "offer.created",
        *public[1:],
        "group.confirmed",
        "order.created",
    ]
    assert types((await follow(client, other_maker["headers"], expect=4))[0]) == [
        *public,
        "group.confirmed",
    ]
    assert len((await follow(client, admin_headers, expect=10))[0]) == 10

    for account in (maker, other_maker):  # manufacturers never see who the consumers are
        seen = str((await follow(client, account["headers"]))[0])
        for consumer in (ada, bob):
            assert consumer["id"] not in seen
            assert consumer["name"] not in seen
    assert [e["data"]["status"] for e in bob_sees if e["type"] == "intent.rejected"] == ["rejected"]
    assert [e["data"]["reason"] for e in bob_sees if e["type"] == "intent.rejected"] == [
        "price_above_limit"
    ]


async def test_a_rival_sees_neither_anothers_bid_nor_its_order(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    owner, member = await make_account("consumer"), await make_account("consumer")
    winner, loser, idle = [await make_account("manufacturer") for _ in range(3)]
    request = await client.post(
        "/v1/groups",
        json={"title": "Heat pump", "currency": "EUR", "deadline": deadline()},
        headers=owner["headers"],
    )
    assert request.status_code == 201, request.text
    group_id = request.json()["id"]
    offers = {}
    for maker, price in ((winner, 700), (loser, 900)):
        body = {"currency": "EUR", "tiers": [{"min_quantity": 1, "unit_price": price}]}
        response = await client.post(
            f"/v1/groups/{group_id}/offers", json=body, headers=maker["headers"]
        )
        assert response.status_code == 201, response.text
        offers[maker["id"]] = response.json()["id"]
    await join(client, member["headers"], group_id, 5, 1000)
    closed = await client.post(f"/v1/groups/{group_id}/close", headers=owner["headers"])
    assert closed.status_code == 200, closed.text
    order_id = closed.json()["order_id"]
    assert closed.json()["winning_offer_id"] == offers[winner["id"]]

    async def bids_seen(account: dict[str, object]) -> list[object]:
        events, _ = await follow(client, account["headers"], types="offer.created")
        return sorted(e["data"]["offer_id"] for e in events)

    # Each bidder sees its own bid; the request's owner sees both; nobody else sees any.
    assert await bids_seen(winner) == [offers[winner["id"]]]
    assert await bids_seen(loser) == [offers[loser["id"]]]
    assert await bids_seen(owner) == sorted(offers.values())
    assert await bids_seen(member) == []
    assert await bids_seen(idle) == []
    assert len(await bids_seen({"headers": admin_headers})) == 4  # both copies of each bid

    # The order's id reaches the winner only (order.created); group.confirmed stays public.
    for rival in (loser, idle, member):
        [confirmed], _ = await follow(client, rival["headers"], expect=1, types="group.confirmed")
        seen, _ = await follow(client, rival["headers"])  # the close was the last write
        assert confirmed in seen
        assert order_id not in str(seen)
        assert confirmed["data"] == {
            "group_id": group_id,
            "status": "confirmed",
            "unit_price": 700,
            "accepted_quantity": 5,
        }
    won, _ = await follow(client, winner["headers"], types="order.created")
    assert [e["data"]["order_id"] for e in won] == [order_id]


async def test_pages_follow_each_other_without_gaps_or_repeats(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    for _ in range(7):
        await join(client, ada["headers"], group["id"], 1, 1000)
    everything, _ = await follow(client, ada["headers"], expect=8, limit=500)
    paged, cursor = await follow(client, ada["headers"], expect=8, limit=3)
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert len(everything) == 8  # created, 7 intents (7 units: below the MOQ of 10)
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)

    await join(client, ada["headers"], group["id"], 1, 1000)
    more, _ = await follow(client, ada["headers"], after=cursor, expect=1)
    assert [e["type"] for e in more] == ["intent.created"]


async def test_types_filter(client: httpx.AsyncClient, make_account: MakeAccount) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    await join(client, ada["headers"], group["id"], 120, 1000)
    events, _ = await follow(
        client, ada["headers"], expect=4, types="group.tier_reached,intent.created"
    )
    assert [e["type"] for e in events] == ["intent.created"] + ["group.tier_reached"] * 3
    assert [e["data"]["unit_price"] for e in events[1:]] == [1000, 800, 600]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"types": "group.created,order.shipped"}, 422, "unknown_event_type"),
        ({"after": "not a cursor"}, 400, "invalid_cursor"),
        ({"limit": 0}, 422, "validation_error"),
        ({"wait": 31}, 422, "validation_error"),
    ],
)
async def test_bad_parameters_are_problems(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    params: dict[str, object],
    status: int,
    code: str,
) -> None:
    response = await client.get("/v1/events", params=params, headers=admin_headers)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_cursor_past_the_retention_is_gone_with_advice(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    ancient = base64.urlsafe_b64encode(b"0.1.1000000000").decode().rstrip("=")
    response = await client.get("/v1/events", params={"after": ancient}, headers=admin_headers)
    assert response.status_code == 410
    assert response.json()["code"] == "cursor_expired"
    assert "resync" in response.json()["title"]


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/events")).status_code == 401


async def test_a_long_poll_answers_as_soon_as_an_event_lands(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    _, cursor = await follow(client, ada["headers"], expect=1)  # group.created

    async def join_soon() -> None:
        await asyncio.sleep(0.3)
        await join(client, ada["headers"], group["id"], 2, 1000)

    started = time.monotonic()
    joiner = asyncio.create_task(join_soon())
    response = await client.get(
        "/v1/events", params={"after": cursor, "wait": 20}, headers=ada["headers"]
    )
    waited = time.monotonic() - started
    await joiner
    assert [e["type"] for e in response.json()["data"]] == ["intent.created"]
    assert 0.3 <= waited < 10  # answered when the event landed, not at the end of the wait


async def test_a_long_poll_with_nothing_new_ends_at_its_wait(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer")
    _, cursor = await follow(client, ada["headers"])
    started = time.monotonic()
    params = {"wait": 1, **({"after": cursor} if cursor else {})}
    response = await client.get("/v1/events", params=params, headers=ada["headers"])
    assert response.json()["data"] == []
    assert response.json()["next_cursor"] == cursor
    assert time.monotonic() - started >= 1
