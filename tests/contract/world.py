"""Real objects for the contract tests to hit: one account of every role and a little of everything.

Fuzzed path parameters are now and then swapped for these ids (``World.ids_for``), so the fuzzer
reaches the code behind the 404 as well as the 404 itself. Operations that end an object (close,
cancel, delete, revoke) get objects of their own, so that they cannot starve the others: the open
campaign stays open for joins, the endpoint stays there for its deliveries. Joins and bids mostly
get a group that takes them (and now and then one that refuses them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.db.engine import Database
from app.webhooks.fanout import fanout
from tests.helpers import ADMIN_KEY, auth

KEYED_ROLES = ("admin", "consumer", "manufacturer")
HOOK_HOST = "hooks.example.com"  # the one host the contract tests' resolver calls public
CURRENCY = "EUR"
TIERS = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@dataclass
class World:
    keys: dict[str, str] = field(default_factory=lambda: {"admin": ADMIN_KEY})
    ids: dict[str, list[str]] = field(default_factory=dict)
    per_operation: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """The role's key; no header at all for ``anonymous``."""
        return auth(self.keys[role]) if role in self.keys else {}

    def add(self, parameter: str, value: str, *, only_for: str | None = None) -> None:
        """An id for every operation, or only for ``only_for`` (instead of the shared ones)."""
        ids = self.ids if only_for is None else self.per_operation.setdefault(only_for, {})
        ids.setdefault(parameter, []).append(value)

    def ids_for(self, operation_id: str) -> dict[str, list[str]]:
        """Real ids an operation's path parameters may take."""
        return {**self.ids, **self.per_operation.get(operation_id, {})}


def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def campaign(title: str) -> dict[str, Any]:
    offer = {"currency": CURRENCY, "tiers": TIERS}
    return {"title": title, "currency": CURRENCY, "deadline": in_days(7), "offer": offer}


def request(title: str) -> dict[str, Any]:
    return {"title": title, "currency": CURRENCY, "deadline": in_days(7)}


async def build_world(client: httpx.AsyncClient, db: Database) -> World:
    """Accounts of every role; an open campaign with intents (one withdrawn), an open request with
    a bid, a closed campaign with its order, a cancelled group; a spare account with an extra key;
    a webhook endpoint with deliveries. Besides, for the ending operations: groups to close and to
    cancel, an endpoint to delete, a key to revoke."""
    world = World()
    admin = world.headers("admin")
    for role in ("consumer", "manufacturer"):
        body = {"role": role, "name": role}
        world.keys[role] = _ok(await client.post("/v1/accounts", json=body, headers=admin))[
            "api_key"
        ]
    consumer, maker = world.headers("consumer"), world.headers("manufacturer")

    # A spare account whose id and keys the fuzzer may use (and revoke) freely.
    body = {"role": "consumer", "name": "spare"}
    spare = _ok(await client.post("/v1/accounts", json=body, headers=admin))
    world.add("account_id", spare["id"])
    for operation in (None, "revoke_key"):
        issued = _ok(await client.post(f"/v1/accounts/{spare['id']}/keys", headers=admin))
        world.add("key_id", issued["id"], only_for=operation)

    hook = {"url": f"https://{HOOK_HOST}/pool", "event_types": ["*"]}  # before the events
    for operation in (None, "delete_webhook_endpoint"):
        endpoint = _ok(await client.post("/v1/webhook-endpoints", json=hook, headers=maker))
        world.add("endpoint_id", endpoint["id"], only_for=operation)

    async def group(body: dict[str, Any], headers: dict[str, str], only_for: str | None) -> str:
        made = _ok(await client.post("/v1/groups", json=body, headers=headers))
        world.add("group_id", made["id"], only_for=only_for)
        return str(made["id"])

    async def join(group_id: str, quantity: int) -> str:
        body = {"quantity": quantity, "max_unit_price": 1200, "delivery_area": "DE-BE"}
        made = _ok(await client.post(f"/v1/groups/{group_id}/intents", json=body, headers=consumer))
        return str(made["id"])

    async def bid(group_id: str) -> None:
        body = {"currency": CURRENCY, "tiers": TIERS}
        _ok(await client.post(f"/v1/groups/{group_id}/offers", json=body, headers=maker))

    open_campaign = await group(campaign("Open campaign"), maker, None)
    world.add("intent_id", await join(open_campaign, 3))
    withdrawn = await join(open_campaign, 2)
    _ok(await client.post(f"/v1/intents/{withdrawn}/withdraw", headers=consumer), 200)
    world.add("intent_id", withdrawn)
    open_request = await group(request("Open request"), consumer, None)
    await bid(open_request)

    closed = await group(campaign("Closed campaign"), maker, None)
    world.add("intent_id", await join(closed, 60))
    clearing = _ok(await client.post(f"/v1/groups/{closed}/close", headers=admin), 200)
    assert clearing["order_id"], clearing
    world.add("order_id", clearing["order_id"])
    cancelled = await group(campaign("Cancelled campaign"), maker, None)
    _ok(await client.post(f"/v1/groups/{cancelled}/cancel", headers=admin), 200)
    # Joins and bids: mostly a group that takes them; else a campaign (no bids), a closed one.
    for operation, groups in (
        ("create_intent", (open_campaign, open_campaign, open_request, cancelled)),
        ("create_offer", (open_request, open_request, open_campaign, cancelled)),
    ):
        for group_id in groups:
            world.add("group_id", group_id, only_for=operation)

    for operation in ("close_group", "cancel_group"):
        filled = await group(campaign(f"To {operation}: campaign"), maker, operation)
        await join(filled, 12)
        asked = await group(request(f"To {operation}: request"), consumer, operation)
        await bid(asked)
        await join(asked, 12)

    await fanout(db)  # the events become deliveries of the endpoints
    listed = await client.get(
        f"/v1/webhook-endpoints/{world.ids['endpoint_id'][0]}/deliveries", headers=maker
    )
    for delivery in _ok(listed, 200)["data"][:3]:
        world.add("delivery_id", delivery["id"])
        world.add("event_id", str(delivery["event_id"]))
    assert "delivery_id" in world.ids, listed.text
    return world
