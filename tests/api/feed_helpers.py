"""Small factories for the feed and demand tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

LADDER = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]


def deadline(days: int = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def campaign(
    client: httpx.AsyncClient, headers: dict[str, str], category: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Bike",
        "currency": "EUR",
        "deadline": deadline(),
        "offer": {"currency": "EUR", "tiers": LADDER},
    }
    if category:
        body["category"] = category
    response = await client.post("/v1/groups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def join(
    client: httpx.AsyncClient, headers: dict[str, str], group_id: str, quantity: int, limit: int
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/groups/{group_id}/intents",
        json={"quantity": quantity, "max_unit_price": limit},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    intent: dict[str, Any] = response.json()
    return intent


async def follow(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    after: str | None = None,
    expect: int | None = None,
    **params: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """Read the feed to its current end; returns the events and the cursor to continue from.

    With ``expect``, long-poll until that many events arrived: on PostgreSQL the feed serves an
    event only once every older write transaction on the server has ended (so none is skipped),
    which can lag a write's answer while other transactions run.
    """
    events: list[dict[str, Any]] = []
    while True:
        waiting = expect is not None and len(events) < expect
        query = {**params, **({"after": after} if after else {}), "wait": 5 if waiting else 0}
        response = await client.get("/v1/events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["data"]
        after = page["next_cursor"]
        if not page["data"]:  # the end (or waited in vain: the caller's count check will say)
            return events, after
