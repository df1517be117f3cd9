"""Helpers of the authorization matrix: the app's routes, a world of other accounts' objects,
and a snapshot of the whole database to prove that a refused request changed nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from sqlalchemy import select

from app.db.base import Base
from app.db.engine import Database
from app.db.models import WebhookDelivery
from tests.api.closing_helpers import closed
from tests.api.groups_helpers import (
    bid,
    joined,
    make_campaign,
    make_request,
)
from tests.e2e.webhook_helpers import catch_up, create_endpoint
from tests.helpers import ADMIN_KEY, Account, MakeAccount, auth

# A public IP literal: accepted by the URL rules without a name lookup, and never called (the
# worker is off; the world only fans events out into deliveries, nothing is sent).
PUBLIC_HOOK = "https://93.184.215.14/matrix-hook"
CALLERS = ("anonymous", "revoked", "consumer", "manufacturer", "admin")

# What a refused (or read-only) request may legitimately touch: authentication records when a
# key was last used (at most once a minute), and the audit trail notes every authenticated
# write, refused or not (a background task writes the notes in batches, at any moment).
VOLATILE = {("api_keys", "last_used_at")}
LOGS = {"audit_log"}

Route = tuple[str, str]  # (method, path template exactly as the app declares it)


def api_routes(app: FastAPI) -> set[Route]:
    """Every (method, path) the app serves through an ``APIRoute``: FastAPI's own docs and
    OpenAPI routes are plain Starlette routes and do not count. Recent FastAPI versions keep
    included routers lazily in ``app.routes``; ``iter_route_contexts`` flattens them with their
    prefixes (older versions list the ``APIRoute``s themselves)."""
    flatten = getattr(routing, "iter_route_contexts", None)
    contexts: Iterator[Any] = iter(flatten(app.routes) if flatten else app.routes)
    found: set[Route] = set()
    for context in contexts:
        original = getattr(context, "original_route", context)
        if not isinstance(original, APIRoute):
            continue
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, context.path))
    return found


@dataclass
class World:
    """Objects owned by ``maker`` (manufacturer A) and ``owner`` (consumer C1), and the callers
    that own none of them: no key, a revoked key, consumer C2, manufacturer B, an admin."""

    maker: Account
    owner: Account
    callers: dict[str, Account]
    ids: dict[str, str] = field(default_factory=dict)
    # Strings no outsider (consumer C2, manufacturer B) may ever read: C1's identity, intents and
    # delivery area, A's endpoint.
    private: list[str] = field(default_factory=list)
    # Strings nobody may read again, admins included: raw API keys, the webhook secret.
    never_shown: list[str] = field(default_factory=list)

    def headers(self, caller: str) -> dict[str, str]:
        headers: dict[str, str] = self.callers[caller]["headers"]
        return headers

    def caller_id(self, caller: str) -> str | None:
        value: str | None = self.callers[caller].get("id")
        return value


async def revoked(client: httpx.AsyncClient, account: Account) -> Account:
    """The account, its only key revoked (by itself)."""
    keys = await client.get(f"/v1/accounts/{account['id']}/keys", headers=account["headers"])
    assert keys.status_code == 200, keys.text
    [key] = keys.json()["data"]
    gone = await client.delete(f"/v1/keys/{key['id']}", headers=account["headers"])
    assert gone.status_code == 204, gone.text
    return account


async def build_world(client: httpx.AsyncClient, db: Database, make_account: MakeAccount) -> World:
    tag = uuid.uuid4().hex[:8]
    maker = await make_account("manufacturer", f"Maker-A-{tag}")
    owner = await make_account("consumer", f"Consumer-One-{tag}")
    callers: dict[str, Account] = {
        "anonymous": {"id": None, "headers": {}},
        "revoked": await revoked(client, await make_account("consumer", f"Revoked-{tag}")),
        "consumer": await make_account("consumer", f"Outsider-C2-{tag}"),
        "manufacturer": await make_account("manufacturer", f"Outsider-B-{tag}"),
        "admin": {"id": None, "headers": auth(ADMIN_KEY)},
    }
    me = await client.get("/v1/accounts/me", headers=auth(ADMIN_KEY))
    callers["admin"]["id"] = me.json()["id"]
    world = World(maker=maker, owner=owner, callers={**callers, "maker": maker, "owner": owner})
    area = f"ZZ-AREA-{tag}"

    # A's webhook endpoint first, so that the world's events become its deliveries.
    endpoint = await create_endpoint(client, maker["headers"], PUBLIC_HOOK, ["*"])
    # A's open campaign, with C1's intent in it.
    open_campaign = await make_campaign(client, maker, title="Open campaign")
    intent = await joined(client, owner, open_campaign["id"], 20, delivery_area=area)
    # C1's open request, with A's bid and C1's own intent.
    request = await make_request(client, owner, title="C1's request")
    response = await bid(client, maker, request["id"])
    assert response.status_code == 201, response.text
    offer = response.json()
    request_intent = await joined(client, owner, request["id"], 5, max_unit_price=900)
    # A's confirmed campaign with its order; C1's intent in it is confirmed.
    done = await make_campaign(client, maker, title="Closed campaign")
    confirmed_intent = await joined(client, owner, done["id"], 60, delivery_area=area)
    clearing = await closed(client, maker, done["id"])
    assert clearing["status"] == "confirmed", clearing
    # A spare key of A's (the target of a revocation; A keeps working with its first key).
    spare = await client.post(f"/v1/accounts/{maker['id']}/keys", headers=maker["headers"])
    assert spare.status_code == 201, spare.text

    await catch_up(db)
    async with db.read() as session:
        found = (
            await session.execute(
                select(WebhookDelivery.id, WebhookDelivery.event_id)
                .where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]))
                .limit(1)
            )
        ).first()
    assert found is not None, "the fan-out made no delivery for A's endpoint"
    delivery, event = found

    world.ids = {
        "maker": maker["id"],
        "owner": owner["id"],
        "open_campaign": open_campaign["id"],
        "request": request["id"],
        "offer": offer["id"],
        "closed_campaign": done["id"],
        "intent": intent["id"],
        "request_intent": request_intent["id"],
        "confirmed_intent": confirmed_intent["id"],
        "order": clearing["order_id"],
        "endpoint": endpoint["id"],
        "delivery": str(delivery),
        "event": str(event),  # one A's endpoint was sent
        "spare_key": spare.json()["id"],
    }
    world.private = [
        owner["id"],
        owner["name"],
        area,
        intent["id"],
        request_intent["id"],
        confirmed_intent["id"],
        endpoint["id"],
        str(delivery),
    ]
    world.never_shown = [maker["api_key"], owner["api_key"], spare.json()["api_key"]]
    world.never_shown.append(endpoint["secret"])
    return world


Snapshot = dict[str, list[tuple[str, ...]]]


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table (but ``VOLATILE`` columns and ``LOGS``), in primary-key order."""
    out: Snapshot = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in LOGS:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            query = select(*columns).order_by(*table.primary_key.columns)
            rows = (await session.execute(query)).all()
            out[table.name] = [tuple(repr(value) for value in row) for row in rows]
    return out


def changed_tables(before: Snapshot, after: Snapshot) -> dict[str, str]:
    """Which tables differ, each with a short account of how."""
    out: dict[str, str] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old == new:
            continue
        gone = [row for row in old if row not in new]
        added = [row for row in new if row not in old]
        out[name] = f"{len(old)} -> {len(new)} rows; gone {gone[:2]}; new {added[:2]}"
    return out
