"""The generated Python client (``openapi/client``, package ``pool_client``) drives a real
``pool serve`` through a group's whole life, on SQLite and on PostgreSQL, with no raw HTTP:
an admin creates the accounts, a manufacturer opens a campaign, consumers join, the owner closes
it, everyone reads the clearing, and the manufacturer lists, reads and acknowledges the order and
follows it in the change feed. A second test checks that the committed client is the one the
committed OpenAPI document generates (``make client`` regenerates both).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from pool_client import AuthenticatedClient
from pool_client.api.accounts import create_account, get_me
from pool_client.api.events import list_events
from pool_client.api.groups import (
    close_group,
    create_group,
    create_intent,
    get_clearing,
    get_group,
)
from pool_client.api.orders import acknowledge_order, get_order, list_order_lines, list_orders
from pool_client.models import (
    AccountCreate,
    AccountCreated,
    AccountOut,
    ClearingOut,
    EventOut,
    EventPage,
    GroupCreate,
    GroupKind,
    GroupOut,
    GroupStatus,
    IntentCreate,
    IntentOut,
    IntentStatus,
    OfferIn,
    OrderOut,
    OrderStatus,
    PageOrderLineOut,
    PageOrderOut,
    Problem,
    Role,
    Tier,
)
from pool_client.types import Response

from tests.e2e.server import ROOT, Server, start_server
from tests.helpers import ADMIN_KEY

T = TypeVar("T")


def parsed(response: Response[T | Problem], expected: type[T], status: int = 200) -> T:
    """The typed body of a successful answer (the generated functions return ``T | Problem``)."""
    assert response.status_code == status, response.content
    assert isinstance(response.parsed, expected), response.parsed
    return response.parsed


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")  # skipped when none answers
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'client.db'}"


@pytest.fixture
async def server(database: str, tmp_path: Path) -> AsyncIterator[Server]:
    env = {  # `pool serve` migrates the database first
        "POOL_DATABASE_URL": database,
        "POOL_ADMIN_API_KEY": ADMIN_KEY,
        "POOL_RUN_WORKER": "false",
        "POOL_LOG_LEVEL": "warning",
    }
    started = await start_server(env, tmp_path / "server.log")
    try:
        yield started
    finally:
        await started.stop()


def client_for(server: Server, key: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=server.base_url, token=key, raise_on_unexpected_status=True)


async def new_account(admin: AuthenticatedClient, role: Role, name: str) -> AccountCreated:
    answer = await create_account.asyncio_detailed(
        client=admin, body=AccountCreate(role=role, name=name), idempotency_key=str(uuid.uuid4())
    )
    account = parsed(answer, AccountCreated, 201)
    assert isinstance(account.api_key, str)
    return account


async def events_of(client: AuthenticatedClient, types: str) -> list[EventOut]:
    """Every event of ``types`` the caller may see, following ``next_cursor`` to the end."""
    found: list[EventOut] = []
    after: str | None = None
    for _ in range(100):  # bounded: the feed of a test database is small
        page = parsed(
            await list_events.asyncio_detailed(client=client, types=types, after=after, limit=500),
            EventPage,
        )
        found += page.data
        if not page.data:
            return found
        after = page.next_cursor
    raise AssertionError("the feed did not end")


async def test_a_group_from_start_to_order_through_the_generated_client(server: Server) -> None:
    admin = client_for(server, ADMIN_KEY)
    async with admin:
        assert parsed(await get_me.asyncio_detailed(client=admin), AccountOut).role == Role.ADMIN
        maker = await new_account(admin, Role.MANUFACTURER, "Acme Bikes")
        ada = await new_account(admin, Role.CONSUMER, "Ada")
        bob = await new_account(admin, Role.CONSUMER, "Bob")
        cy = await new_account(admin, Role.CONSUMER, "Cy")

    acme = client_for(server, str(maker.api_key))
    consumers = [client_for(server, str(a.api_key)) for a in (ada, bob, cy)]
    async with acme, consumers[0], consumers[1], consumers[2]:
        # The manufacturer opens a campaign with a three-step ladder (DESIGN §3's example).
        ladder = [
            Tier(min_quantity=q, unit_price=p) for q, p in ((10, 1000), (50, 800), (100, 600))
        ]
        opened = await create_group.asyncio_detailed(
            client=acme,
            body=GroupCreate(
                title="Trail bike, model X",
                currency="EUR",
                deadline=datetime.now(UTC) + timedelta(days=7),
                description="Pooled order of the 2027 trail bike.",
                category="bikes",
                max_quantity=500,
                offer=OfferIn(currency="EUR", tiers=ladder),
            ),
            idempotency_key=str(uuid.uuid4()),
        )
        group = parsed(opened, GroupOut, 201)
        assert (group.kind, group.status, group.is_owner) == (
            GroupKind.CAMPAIGN,
            GroupStatus.OPEN,
            True,
        )
        assert group.current_unit_price is None  # below the MOQ of 10
        assert group.next_break is not None
        assert (group.next_break.min_quantity, group.next_break.units_needed) == (10, 10)
        group_id = str(group.id)

        # Consumers join; a limit under the price is accepted now and rejected at the clearing.
        for who, quantity, limit in zip(consumers, (60, 30, 5), (1000, 800, 600), strict=True):
            joined = await create_intent.asyncio_detailed(
                group_id,
                client=who,
                body=IntentCreate(quantity=quantity, max_unit_price=limit, delivery_area="DE-BE"),
            )
            assert parsed(joined, IntentOut, 201).status == IntentStatus.ACTIVE
        live = parsed(await get_group.asyncio_detailed(group_id, client=consumers[0]), GroupOut)
        assert (live.total_quantity, live.participant_count, live.current_unit_price) == (
            95,
            3,
            800,
        )
        assert live.next_break is not None
        assert (live.next_break.unit_price, live.next_break.units_needed) == (600, 5)

        # Only the owner (or an admin) may close: a consumer gets a typed problem.
        refused = await close_group.asyncio_detailed(group_id, client=consumers[0])
        assert refused.status_code == 403
        assert isinstance(refused.parsed, Problem)
        assert refused.parsed.code == "not_group_owner"

        clearing = parsed(await close_group.asyncio_detailed(group_id, client=acme), ClearingOut)
        assert clearing.status == GroupStatus.CONFIRMED
        assert (clearing.unit_price, clearing.accepted_quantity) == (800, 90)
        assert isinstance(clearing.order_id, uuid.UUID)
        order_id = str(clearing.order_id)

        # Each consumer reads its own outcome.
        outcome = parsed(
            await get_clearing.asyncio_detailed(group_id, client=consumers[2]), ClearingOut
        )
        assert isinstance(outcome.your_intents, list)
        assert [(i.status, i.reason) for i in outcome.your_intents] == [
            (IntentStatus.REJECTED, "price_above_limit")
        ]

        # The manufacturer finds the order, reads it and its lines, and acknowledges it.
        orders = parsed(await list_orders.asyncio_detailed(client=acme), PageOrderOut)
        assert [str(o.id) for o in orders.data] == [order_id]
        order = parsed(await get_order.asyncio_detailed(order_id, client=acme), OrderOut)
        assert (order.status, order.unit_price, order.total_quantity, order.total_amount) == (
            OrderStatus.CONFIRMED,
            800,
            90,
            72_000,
        )
        assert [(a.delivery_area, a.lines, a.quantity) for a in order.area_totals] == [
            ("DE-BE", 2, 90)
        ]
        lines = parsed(
            await list_order_lines.asyncio_detailed(order_id, client=acme), PageOrderLineOut
        )
        assert sorted(line.quantity for line in lines.data) == [30, 60]
        account_ids = {str(a.id) for a in (ada, bob, cy)}
        assert not account_ids & {line.consumer_ref for line in lines.data}
        for _ in range(2):  # acknowledging again changes nothing
            acked = parsed(
                await acknowledge_order.asyncio_detailed(order_id, client=acme), OrderOut
            )
            assert acked.status == OrderStatus.ACKNOWLEDGED

        # The same story, from the change feed.
        mine = await events_of(acme, "order.created,order.acknowledged")
        assert [(e.type_, e.data["order_id"]) for e in mine] == [
            ("order.created", order_id),
            ("order.acknowledged", order_id),
        ]
        reached = await events_of(acme, "group.tier_reached")
        assert {e.data["min_quantity"] for e in reached if e.data["group_id"] == group_id} >= {
            10,
            50,
        }


def test_the_committed_client_is_generated_from_the_committed_document() -> None:
    """``make check-client``: regenerate into a temporary folder and compare."""
    done = subprocess.run(
        [sys.executable, "scripts/generate_client.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
