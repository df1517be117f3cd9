"""Aggregated demand for manufacturers: curves, own tier volumes, visibility, ETag and 304."""

import httpx

from tests.api.feed_helpers import LADDER, campaign, deadline, join
from tests.helpers import MakeAccount


async def test_demand_shows_curves_and_the_volume_each_own_tier_clears_at(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker, ada, bob = (
        await make_account("manufacturer"),
        await make_account("consumer", "Ada"),
        await make_account("consumer", "Bob"),
    )
    group = await campaign(client, maker["headers"], category="bikes")
    await join(client, ada["headers"], group["id"], 60, 1000)
    await join(client, bob["headers"], group["id"], 30, 800)
    await join(client, bob["headers"], group["id"], 5, 600)

    response = await client.get("/v1/demand", headers=maker["headers"])
    assert response.status_code == 200
    assert response.headers["x-poll-interval"] == "5"
    [item] = response.json()["data"]
    assert item["group_id"] == group["id"]
    assert (item["total_quantity"], item["participant_count"]) == (95, 2)
    assert item["current_unit_price"] == 800
    assert item["is_owner"] is True
    assert item["demand_curve"] == [
        {"unit_price": 1000, "quantity": 60},
        {"unit_price": 800, "quantity": 90},
        {"unit_price": 600, "quantity": 95},
    ]
    assert item["your_offer_id"] == group["best_offer_id"]
    assert item["your_tier_volumes"] == [
        {**LADDER[0], "volume": 60, "clears": True},
        {**LADDER[1], "volume": 90, "clears": True},
        {**LADDER[2], "volume": 95, "clears": False},
    ]
    for consumer in (ada, bob):
        assert consumer["id"] not in response.text
        assert consumer["name"] not in response.text


async def test_a_manufacturer_sees_requests_and_its_own_campaigns_only(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    maker, rival, ada = (
        await make_account("manufacturer"),
        await make_account("manufacturer"),
        await make_account("consumer"),
    )
    own = await campaign(client, maker["headers"], category="bikes")
    theirs = await campaign(client, rival["headers"], category="bikes")
    request = await client.post(
        "/v1/groups",
        json={"title": "Desk", "currency": "EUR", "deadline": deadline(), "category": "desks"},
        headers=ada["headers"],
    )
    bid = {"currency": "EUR", "tiers": [{"min_quantity": 1, "unit_price": 500}]}
    await client.post(
        f"/v1/groups/{request.json()['id']}/offers", json=bid, headers=rival["headers"]
    )

    async def seen(headers: dict[str, str], **params: str) -> set[str]:
        response = await client.get("/v1/demand", params=params, headers=headers)
        assert response.status_code == 200
        return {item["group_id"] for item in response.json()["data"]}

    assert await seen(maker["headers"]) == {own["id"], request.json()["id"]}
    assert await seen(rival["headers"]) == {theirs["id"], request.json()["id"]}
    assert await seen(maker["headers"], category="desks") == {request.json()["id"]}
    assert len(await seen(admin_headers)) == 3
    assert (await client.get("/v1/demand", headers=ada["headers"])).status_code == 403
    assert (await client.get("/v1/demand")).status_code == 401

    closed = await client.post(f"/v1/groups/{own['id']}/close", headers=maker["headers"])
    assert closed.status_code == 200
    assert await seen(maker["headers"]) == {request.json()["id"]}


async def test_an_unchanged_poll_is_a_304_without_body(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    first = await client.get("/v1/demand", headers=maker["headers"])
    etag = first.headers["etag"]

    again = await client.get("/v1/demand", headers={**maker["headers"], "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    await join(client, ada["headers"], group["id"], 2, 1000)
    changed = await client.get("/v1/demand", headers={**maker["headers"], "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["data"][0]["total_quantity"] == 2

    other_view = await client.get("/v1/demand", params={"category": "x"}, headers=maker["headers"])
    assert other_view.headers["etag"] not in {etag, changed.headers["etag"]}
