"""The authorization matrix: every route of the app, for every kind of caller, on objects other
accounts own (DESIGN §4 "Visibility", the README's "API at a glance" and its choices).

The world belongs to manufacturer A and consumer C1 (see ``matrix_helpers.build_world``); the
callers own none of it: no key, a revoked key, consumer C2, manufacturer B, and an admin. Each
cell says what the caller must get. A refusal or a read must change nothing at all in the
database; a write the caller is allowed to make may change only the tables its cell names. No
answer to an outsider may carry C1's identity, intents or delivery area, or A's endpoint; no
answer to anyone may carry an API key or a webhook secret again.

A route the app serves without an entry here fails ``test_every_route_has_a_matrix_entry``: add
its row when you add the route. A cell where the code deviates from the design carries
``bug=``: the walk leaves it out and ``test_known_bugs`` asserts the designed answer, xfail
(strict). ``CROSS`` adds callers that touch an object without owning it (a participant, a
bidder) and own parents that must not open another account's child (own endpoint, foreign
delivery).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.db.engine import Database
from tests.api.groups_helpers import campaign_body, offer_body, request_body
from tests.api.matrix_helpers import (
    CALLERS,
    PUBLIC_HOOK,
    Route,
    World,
    api_routes,
    build_world,
    changed_tables,
    snapshot,
)
from tests.e2e.webhook_helpers import create_endpoint
from tests.helpers import MakeAccount

Check = Callable[[World, str, httpx.Response], None]
Body = dict[str, Any] | Callable[[str], dict[str, Any]] | None


@dataclass(frozen=True)
class Cell:
    """What one caller gets from one route: a status, the problem ``code`` of a refusal, extra
    checks of a success, and the tables an allowed write may change (none: nothing may)."""

    status: int
    code: str | None = None
    writes: frozenset[str] = frozenset()
    check: Check | None = None
    bug: str | None = None  # the code deviates from the design here (see test_known_bugs)


@dataclass(frozen=True)
class Entry:
    cells: dict[str, Cell]
    params: dict[str, str] = field(default_factory=dict)  # path parameter → key of World.ids
    body: Body = None

    def url(self, template: str, world: World) -> str:
        return template.format(**{name: world.ids[key] for name, key in self.params.items()})

    def body_for(self, caller: str) -> dict[str, Any] | None:
        return self.body(caller) if callable(self.body) else self.body


def deny(status: int, code: str) -> Cell:
    return Cell(status, code)


def ok(status: int = 200, check: Check | None = None) -> Cell:
    return Cell(status, check=check)


def writes(status: int, *tables: str, check: Check | None = None) -> Cell:
    return Cell(status, writes=frozenset(tables), check=check)


UNAUTHENTICATED = deny(401, "unauthenticated")
FORBIDDEN = deny(403, "forbidden")


def row(
    consumer: Cell, manufacturer: Cell, admin: Cell, anonymous: Cell = UNAUTHENTICATED
) -> dict[str, Cell]:
    return {
        "anonymous": anonymous,
        "revoked": UNAUTHENTICATED,
        "consumer": consumer,
        "manufacturer": manufacturer,
        "admin": admin,
    }


def everyone(status: int) -> dict[str, Cell]:
    return dict.fromkeys(CALLERS, ok(status))


# ---- checks of successful answers -------------------------------------------------------------


def data_ids(response: httpx.Response) -> list[str]:
    return [item.get("id") or item.get("group_id") for item in response.json()["data"]]


def is_caller(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["id"] == world.caller_id(caller)


def empty_page(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["data"] == [], "another account's items are listed"


def not_owner_of_request(world: World, caller: str, response: httpx.Response) -> None:
    body = response.json()
    assert body["id"] == world.ids["request"], body
    assert body["is_owner"] is False, body


def sees_bids(world: World, caller: str, response: httpx.Response) -> None:
    assert data_ids(response) == [world.ids["offer"]]


def the_order(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["id"] == world.ids["order"]


def lists_the_order(world: World, caller: str, response: httpx.Response) -> None:
    assert world.ids["order"] in data_ids(response)


def the_clearing(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["order_id"] == world.ids["order"]


def lines(world: World, caller: str, response: httpx.Response) -> None:
    assert len(response.json()["data"]) == 1


def own_demand(world: World, caller: str, response: httpx.Response) -> None:
    shown = data_ids(response)
    assert world.ids["request"] in shown, "an open request is demand a manufacturer may bid on"
    assert world.ids["open_campaign"] not in shown, "another manufacturer's campaign is shown"


def all_demand(world: World, caller: str, response: httpx.Response) -> None:
    assert {world.ids["request"], world.ids["open_campaign"]} <= set(data_ids(response))


def public_events_only(world: World, caller: str, response: httpx.Response) -> None:
    kinds = {event["type"] for event in response.json()["data"]}
    assert "group.created" in kinds, kinds
    private = sorted(k for k in kinds if k.startswith(("intent.", "order.")))
    assert not private, f"another account's private events: {private}"


def every_event(world: World, caller: str, response: httpx.Response) -> None:
    kinds = {event["type"] for event in response.json()["data"]}
    assert {"intent.created", "order.created"} <= kinds, kinds


def owners_keys(world: World, caller: str, response: httpx.Response) -> None:
    keys = response.json()["data"]
    assert keys, "the account's keys are not listed"
    assert {key["account_id"] for key in keys} == {world.ids["owner"]}, keys


def made_request(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["kind"] == "request"


def made_campaign(world: World, caller: str, response: httpx.Response) -> None:
    assert response.json()["kind"] == "campaign"


def group_body(caller: str) -> dict[str, Any]:
    """A valid group for the caller's role: a consumer opens a request, others a campaign."""
    return request_body() if caller == "consumer" else campaign_body()


# ---- the matrix -------------------------------------------------------------------------------

GROUP_WRITES = ("groups", "intents", "participants", "events")
ENDPOINT_NOT_FOUND = deny(404, "webhook_endpoint_not_found")
# Endpoints are the registering account's own: another manufacturer and admins alike get 404.
FOREIGN_ENDPOINT = row(FORBIDDEN, ENDPOINT_NOT_FOUND, ENDPOINT_NOT_FOUND)
ENDPOINT = {"endpoint_id": "endpoint"}
DELIVERY = {"endpoint_id": "endpoint", "delivery_id": "delivery"}
NOT_OWNER = deny(403, "not_group_owner")
NOT_IN_GROUP = deny(403, "not_in_group")
ORDER_NOT_FOUND = deny(404, "order_not_found")
ACCOUNT_NOT_FOUND = deny(404, "account_not_found")

MATRIX: dict[Route, Entry] = {
    # Operations: no key needed.
    ("GET", "/healthz"): Entry(everyone(200)),
    ("GET", "/readyz"): Entry(everyone(200)),
    ("GET", "/metrics"): Entry(everyone(200)),
    # The public group pages and the live stream (a closed group's ends): no key, no identities.
    ("GET", "/"): Entry(everyone(307)),
    ("GET", "/g"): Entry(everyone(200)),
    ("GET", "/g/{group_id}"): Entry(everyone(200), params={"group_id": "open_campaign"}),
    ("GET", "/v1/groups/{group_id}/stream"): Entry(
        everyone(200), params={"group_id": "closed_campaign"}
    ),
    # Accounts and keys: admins manage every account, an account its own; others get 404.
    ("POST", "/v1/accounts"): Entry(
        row(FORBIDDEN, FORBIDDEN, writes(201, "accounts", "api_keys")),
        body={"role": "consumer", "name": "Made by the matrix"},
    ),
    ("GET", "/v1/accounts/me"): Entry(row(ok(check=is_caller), ok(check=is_caller), ok())),
    ("POST", "/v1/accounts/{account_id}/keys"): Entry(
        row(ACCOUNT_NOT_FOUND, ACCOUNT_NOT_FOUND, writes(201, "api_keys")),
        params={"account_id": "owner"},
    ),
    ("GET", "/v1/accounts/{account_id}/keys"): Entry(
        row(ACCOUNT_NOT_FOUND, ACCOUNT_NOT_FOUND, ok(check=owners_keys)),
        params={"account_id": "owner"},
    ),
    ("DELETE", "/v1/keys/{key_id}"): Entry(
        row(deny(404, "key_not_found"), deny(404, "key_not_found"), writes(204, "api_keys")),
        params={"key_id": "spare_key"},
    ),
    # Groups: public to every account; consumers open requests, manufacturers campaigns.
    ("POST", "/v1/groups"): Entry(
        row(
            writes(201, "groups", "events", check=made_request),
            writes(201, "groups", "offers", "events", check=made_campaign),
            FORBIDDEN,
        ),
        body=group_body,
    ),
    ("GET", "/v1/groups"): Entry(row(ok(), ok(), ok())),
    ("GET", "/v1/groups/{group_id}"): Entry(
        row(ok(check=not_owner_of_request), ok(check=not_owner_of_request), ok()),
        params={"group_id": "request"},
    ),
    # Offers: any manufacturer may bid on an open request; another manufacturer sees only its own.
    ("POST", "/v1/groups/{group_id}/offers"): Entry(
        row(FORBIDDEN, writes(201, "offers", "groups", "events"), FORBIDDEN),
        params={"group_id": "request"},
        body=offer_body(),
    ),
    ("GET", "/v1/groups/{group_id}/offers"): Entry(
        row(ok(check=sees_bids), ok(check=empty_page), ok(check=sees_bids)),
        params={"group_id": "request"},
    ),
    # Intents: any consumer may join an open group; only its consumer sees or withdraws one.
    ("POST", "/v1/groups/{group_id}/intents"): Entry(
        row(writes(201, *GROUP_WRITES), FORBIDDEN, FORBIDDEN),
        params={"group_id": "open_campaign"},
        body={"quantity": 1, "max_unit_price": 1000},
    ),
    ("GET", "/v1/intents"): Entry(row(ok(check=empty_page), FORBIDDEN, FORBIDDEN)),
    ("POST", "/v1/intents/{intent_id}/withdraw"): Entry(
        row(deny(404, "intent_not_found"), FORBIDDEN, FORBIDDEN),
        params={"intent_id": "intent"},
    ),
    # Close and cancel: owner or admin. Clearing: participants, owner, bidders, admins.
    ("POST", "/v1/groups/{group_id}/close"): Entry(
        row(NOT_OWNER, NOT_OWNER, writes(200, *GROUP_WRITES, "orders", "order_lines")),
        params={"group_id": "open_campaign"},
    ),
    ("POST", "/v1/groups/{group_id}/cancel"): Entry(
        row(NOT_OWNER, NOT_OWNER, writes(200, *GROUP_WRITES)),
        params={"group_id": "request"},
    ),
    ("GET", "/v1/groups/{group_id}/clearing"): Entry(
        row(NOT_IN_GROUP, NOT_IN_GROUP, ok(check=the_clearing)),
        params={"group_id": "closed_campaign"},
    ),
    # Orders: their manufacturer and admins read them; only their manufacturer acknowledges.
    ("GET", "/v1/orders"): Entry(row(FORBIDDEN, ok(check=empty_page), ok(check=lists_the_order))),
    ("GET", "/v1/orders/{order_id}"): Entry(
        row(FORBIDDEN, ORDER_NOT_FOUND, ok(check=the_order)), params={"order_id": "order"}
    ),
    ("GET", "/v1/orders/{order_id}/lines"): Entry(
        row(FORBIDDEN, ORDER_NOT_FOUND, ok(check=lines)), params={"order_id": "order"}
    ),
    ("POST", "/v1/orders/{order_id}/acknowledge"): Entry(
        row(FORBIDDEN, ORDER_NOT_FOUND, FORBIDDEN), params={"order_id": "order"}
    ),
    # The feed: public events plus the caller's own; admins see all.
    ("GET", "/v1/events"): Entry(
        row(ok(check=public_events_only), ok(check=public_events_only), ok(check=every_event))
    ),
    # Demand: manufacturers (requests they may bid on, campaigns they own) and admins.
    ("GET", "/v1/demand"): Entry(row(FORBIDDEN, ok(check=own_demand), ok(check=all_demand))),
    # The audit trail: admins only.
    ("GET", "/v1/audit"): Entry(row(FORBIDDEN, FORBIDDEN, ok())),
    # Webhook endpoints: manufacturers and admins, each on its own endpoints only.
    ("POST", "/v1/webhook-endpoints"): Entry(
        row(FORBIDDEN, writes(201, "webhook_endpoints"), writes(201, "webhook_endpoints")),
        body={"url": PUBLIC_HOOK, "event_types": ["*"]},
    ),
    ("GET", "/v1/webhook-endpoints"): Entry(
        row(FORBIDDEN, ok(check=empty_page), ok(check=empty_page))
    ),
    ("GET", "/v1/webhook-endpoints/{endpoint_id}"): Entry(FOREIGN_ENDPOINT, params=ENDPOINT),
    ("DELETE", "/v1/webhook-endpoints/{endpoint_id}"): Entry(FOREIGN_ENDPOINT, params=ENDPOINT),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): Entry(
        FOREIGN_ENDPOINT, params=ENDPOINT
    ),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/enable"): Entry(
        FOREIGN_ENDPOINT, params=ENDPOINT
    ),
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): Entry(
        FOREIGN_ENDPOINT, params=ENDPOINT
    ),
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts"): Entry(
        FOREIGN_ENDPOINT, params=DELIVERY
    ),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/events/{event_id}/redeliver"): Entry(
        FOREIGN_ENDPOINT, params={"endpoint_id": "endpoint", "event_id": "event"}
    ),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver"): Entry(
        FOREIGN_ENDPOINT, params=DELIVERY
    ),
}

# Allowed writes run after every refusal and read, so that none of them changes what another
# cell sees; closing and cancelling run last of all (they end the groups other writes use).
FINAL = {("POST", "/v1/groups/{group_id}/close"), ("POST", "/v1/groups/{group_id}/cancel")}


def cells(*, bugs: bool) -> list[tuple[Route, str]]:
    listed = [
        (route, caller)
        for route, entry in MATRIX.items()
        for caller in CALLERS
        if (entry.cells[caller].bug is not None) == bugs
    ]
    return sorted(
        listed,
        key=lambda rc: (bool(MATRIX[rc[0]].cells[rc[1]].writes), rc[0] in FINAL),
    )


# ---- walking it -------------------------------------------------------------------------------


async def run_cell(
    client: httpx.AsyncClient, db: Database, world: World, route: Route, caller: str
) -> list[str]:
    """Send the cell's request; return what is wrong with the answer (nothing: the cell holds)."""
    method, template = route
    entry = MATRIX[route]
    url = entry.url(template, world)
    return await probe(
        client, db, world, caller, (method, url), entry.body_for(caller), entry.cells[caller]
    )


async def probe(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    caller: str,
    request: tuple[str, str],
    body: dict[str, Any] | None,
    cell: Cell,
) -> list[str]:
    method, url = request
    before = await snapshot(db)
    response = await client.request(method, url, headers=world.headers(caller), json=body)
    after = await snapshot(db)
    wrong: list[str] = []
    if response.status_code != cell.status:
        wrong.append(
            f"status {response.status_code}, expected {cell.status}: {response.text[:300]}"
        )
    elif cell.code is not None:
        kind = response.headers.get("content-type")
        code = response.json().get("code") if kind == "application/problem+json" else None
        if code != cell.code:
            wrong.append(f"{kind} code {code!r}, expected {cell.code!r}: {response.text[:300]}")
    elif cell.check is not None:
        try:
            cell.check(world, caller, response)
        except AssertionError as exc:
            wrong.append(f"wrong answer: {exc} in {response.text[:300]}")
    changed = changed_tables(before, after)
    unexpected = {name: how for name, how in changed.items() if name not in cell.writes}
    if unexpected:
        wrong.append(f"changed the database: {unexpected}")
    text = response.text
    secrets = world.never_shown + (world.private if caller in ("consumer", "manufacturer") else [])
    leaked = [secret for secret in secrets if secret in text and secret not in url]
    if leaked:
        wrong.append(f"leaks another account's data: {leaked}")
    return wrong


def describe(route: Route, caller: str, wrong: list[str]) -> str:
    return f"{route[0]} {route[1]} as {caller}: " + "; ".join(wrong)


async def test_every_route_answers_outsiders_as_the_matrix_says(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    world = await build_world(client, db, make_account)
    failures: list[str] = []
    for route, caller in cells(bugs=False):
        wrong = await run_cell(client, db, world, route, caller)
        if wrong:
            failures.append(describe(route, caller, wrong))
    assert not failures, f"{len(failures)} cells of the matrix fail:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    ("route", "caller"),
    [
        pytest.param(
            route,
            caller,
            id=f"{route[0]} {route[1]} as {caller}",
            marks=pytest.mark.xfail(strict=True, reason=f"bug: {MATRIX[route].cells[caller].bug}"),
        )
        for route, caller in cells(bugs=True)
    ]
    or [pytest.param(None, None, id="none", marks=pytest.mark.skip(reason="no known bug"))],
)
async def test_known_bugs(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    route: Route,
    caller: str,
) -> None:
    """Each cell where the code deviates from the design, on a world of its own: it asserts the
    designed answer, so it fails (xfail, strict) until the bug is fixed."""
    world = await build_world(client, db, make_account)
    wrong = await run_cell(client, db, world, route, caller)
    assert not wrong, describe(route, caller, wrong)


# Callers that touch an object without owning it, and parents of one's own that must not open
# another account's child: (caller, method, path with World.ids names, expected answer).
DELIVERY_NOT_FOUND = deny(404, "webhook_delivery_not_found")
CROSS: list[tuple[str, str, str, Cell]] = [
    ("owner", "POST", "/v1/groups/{open_campaign}/close", NOT_OWNER),  # a participant
    ("owner", "POST", "/v1/groups/{open_campaign}/cancel", NOT_OWNER),
    ("owner", "GET", "/v1/orders/{order}", FORBIDDEN),  # its intent is in the order
    ("maker", "POST", "/v1/groups/{request}/close", NOT_OWNER),  # a bidder
    ("maker", "POST", "/v1/groups/{request}/cancel", NOT_OWNER),
    ("maker", "POST", "/v1/accounts/{owner}/keys", ACCOUNT_NOT_FOUND),
    *(
        (
            caller,
            method,
            f"/v1/webhook-endpoints/{{{caller}_endpoint}}/deliveries/{{delivery}}/{tail}",
            DELIVERY_NOT_FOUND,
        )
        for caller in ("manufacturer", "admin")
        for method, tail in (("GET", "attempts"), ("POST", "redeliver"))
    ),
]


async def test_touching_or_owning_a_parent_opens_no_foreign_object(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    world = await build_world(client, db, make_account)
    for caller in ("manufacturer", "admin"):
        endpoint = await create_endpoint(client, world.headers(caller), PUBLIC_HOOK, ["*"])
        world.ids[f"{caller}_endpoint"] = endpoint["id"]
    failures: list[str] = []
    for caller, method, template, cell in CROSS:
        url = template.format(**world.ids)
        wrong = await probe(client, db, world, caller, (method, url), None, cell)
        if wrong:
            failures.append(describe((method, template), caller, wrong))
    assert not failures, f"{len(failures)} probes fail:\n" + "\n".join(failures)


def test_every_route_has_a_matrix_entry(app: Any) -> None:
    served = api_routes(app)
    missing = sorted(served - set(MATRIX))
    stale = sorted(set(MATRIX) - served)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"matrix rows for routes the app does not serve: {stale}"


def test_every_matrix_entry_is_complete() -> None:
    for (method, template), entry in MATRIX.items():
        assert set(entry.cells) == set(CALLERS), (method, template)
        named = {part.split("}")[0] for part in template.split("{")[1:]}
        assert named == set(entry.params), (method, template, "path parameters")
        for caller, cell in entry.cells.items():
            succeeds = cell.status < 400
            assert method == "GET" or not succeeds or cell.writes, (
                method,
                template,
                caller,
                "a write that succeeds must name the tables it may change",
            )
