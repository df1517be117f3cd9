"""Demo data a person can click through: known accounts with known keys, a campaign part-way up
its ladder, a consumer's request with two bids, and a closed campaign with its order. Built through
the real use cases, so the demo exercises the same code as the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.service import Principal, authenticate, ensure_account_with_key
from app.closing.service import close
from app.db.engine import Database
from app.db.models import Group, Role
from app.groups import intents, service
from app.groups.schemas import GroupCreate, IntentCreate, OfferIn, Tier


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: Role
    name: str
    api_key: str


DEMO_ACCOUNTS = (
    DemoAccount(Role.admin, "Demo admin", "pool_adm_demo-admin-key"),
    DemoAccount(Role.manufacturer, "Acme Bikes", "pool_mfr_demo-acme-key"),
    DemoAccount(Role.manufacturer, "Globex Cycles", "pool_mfr_demo-globex-key"),
    DemoAccount(Role.consumer, "Ada", "pool_con_demo-ada-key"),
    DemoAccount(Role.consumer, "Grace", "pool_con_demo-grace-key"),
)


def _offer(*tiers: tuple[int, int]) -> OfferIn:
    return OfferIn(currency="EUR", tiers=[Tier(min_quantity=q, unit_price=p) for q, p in tiers])


async def load_demo(db: Database) -> bool:
    """Create the demo accounts and groups unless they exist. True if anything was created."""
    created = False
    for demo in DEMO_ACCOUNTS:
        created |= await ensure_account_with_key(db, demo.role, demo.name, demo.api_key)
    async with db.read() as session:
        has_groups = bool(await session.scalar(select(func.count()).select_from(Group)))
    if has_groups:
        return created
    people = [await authenticate(db, demo.api_key) for demo in DEMO_ACCOUNTS]
    admin, acme, globex, ada, grace = (p for p in people if p is not None)
    await _groups(db, admin, acme, globex, ada, grace)
    return True


async def _groups(
    db: Database,
    admin: Principal,
    acme: Principal,
    globex: Principal,
    ada: Principal,
    grace: Principal,
) -> None:
    soon = datetime.now(UTC) + timedelta(days=14)
    ladder = _offer((10, 89900), (25, 79900), (50, 69900), (100, 59900))
    bike = await service.create_group(
        db,
        acme,
        GroupCreate(
            title="Acme Trail 29 mountain bike",
            description="Full-suspension trail bike. The more of us, the cheaper for everyone.",
            category="bikes",
            currency="EUR",
            deadline=soon,
            max_quantity=500,
            offer=ladder,
        ),
        None,
        365,
    )
    for who, quantity, area in ((ada, 12, "DE-BE"), (grace, 8, "DE-HH"), (ada, 9, "DE-BE")):
        await intents.join(
            db, who, bike.id, IntentCreate(quantity=quantity, delivery_area=area), None
        )

    desk = await service.create_group(
        db,
        ada,
        GroupCreate(
            title="Standing desk, 160 x 80 cm, electric",
            description="Who makes us the best offer for 40 or more desks?",
            category="furniture",
            currency="EUR",
            deadline=soon,
        ),
        None,
        365,
    )
    await service.add_offer(db, acme, desk.id, _offer((20, 54900), (40, 47900)), None)
    await service.add_offer(db, globex, desk.id, _offer((10, 57900), (40, 45900)), None)
    await intents.join(db, grace, desk.id, IntentCreate(quantity=3, max_unit_price=52000), None)

    helmets = await service.create_group(
        db,
        acme,
        GroupCreate(
            title="Acme Aero helmet (closed demo)",
            description="A campaign that already closed: see its clearing and order.",
            category="bikes",
            currency="EUR",
            deadline=soon,
            offer=_offer((10, 9900), (20, 7900), (40, 6900)),
        ),
        None,
        365,
    )
    for who, quantity, limit in ((ada, 15, 9900), (grace, 10, 7900), (grace, 3, 6900)):
        await intents.join(
            db, who, helmets.id, IntentCreate(quantity=quantity, max_unit_price=limit), None
        )
    await close(db, admin, helmets.id)
