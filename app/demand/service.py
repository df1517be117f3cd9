"""What a manufacturer watches: every open group it may bid on (requests) or owns (its campaigns),
with the demand curve from ``app.pricing``. Polling is cheap: the ETag is a digest of the groups'
versions, read before anything else is computed."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import Group, GroupKind, GroupStatus, Intent, IntentStatus, Offer, Role
from app.demand.schemas import CurvePointOut, DemandPage, GroupDemand, TierVolumeOut
from app.groups.repository import active_offers
from app.groups.views import priced
from app.pagination import encode_cursor
from app.pricing import TierSchedule, demand_curve, quote, tier_volumes


def _open_groups(
    caller: Principal, category: str | None, before: uuid.UUID | None
) -> Select[Group]:
    query = select(Group).where(Group.status == GroupStatus.open).order_by(Group.id.desc())
    if caller.role != Role.admin:
        query = query.where(
            or_(Group.kind == GroupKind.request, Group.owner_id == caller.account_id)
        )
    if category is not None:
        query = query.where(Group.category == category)
    if before is not None:
        query = query.where(Group.id < before)
    return query


async def etag(
    db: Database, caller: Principal, category: str | None, before: uuid.UUID | None, limit: int
) -> str:
    """A digest of what the page would show: group ids and versions, the caller and the query."""
    inner = _open_groups(caller, category, before).limit(limit + 1).subquery()
    async with db.read() as session:
        rows = (await session.execute(select(inner.c.id, inner.c.version))).all()
    digest = hashlib.sha256(f"{caller.account_id}|{category}|{before}|{limit}".encode())
    for group_id, version in rows:
        digest.update(f"|{group_id}:{version}".encode())
    return f'"{digest.hexdigest()[:32]}"'


async def demand(
    db: Database, caller: Principal, category: str | None, before: uuid.UUID | None, limit: int
) -> DemandPage:
    async with db.read() as session:
        groups = (
            await session.scalars(_open_groups(caller, category, before).limit(limit + 1))
        ).all()
        page = list(groups[:limit])
        ids = [group.id for group in page]
        offers = await active_offers(session, ids)
        curves = await _limits(session, ids)
    by_group: dict[uuid.UUID, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_group[offer.group_id].append(offer)
    data = [_one(group, by_group[group.id], curves[group.id], caller) for group in page]
    more = len(groups) > limit
    return DemandPage(data=data, next_cursor=encode_cursor(ids[-1]) if more else None)


async def _limits(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[int, int]]]:
    """(units, limit) per distinct limit of each group's active intents, summed in SQL."""
    out: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.execute(
        select(Intent.group_id, Intent.max_unit_price, func.sum(Intent.quantity))
        .where(Intent.group_id.in_(ids), Intent.status == IntentStatus.active)
        .group_by(Intent.group_id, Intent.max_unit_price)
    )
    for group_id, limit, units in rows:
        out[group_id].append((int(units), int(limit)))
    return out


def _one(
    group: Group, offers: list[Offer], pairs: list[tuple[int, int]], caller: Principal
) -> GroupDemand:
    live = quote(priced(offers), group.total_quantity)
    mine = next((o for o in offers if o.manufacturer_id == caller.account_id), None)
    volumes = None
    if mine is not None:
        schedule = TierSchedule.from_tiers([tuple(t) for t in mine.tiers])
        volumes = [
            TierVolumeOut(
                min_quantity=v.min_quantity,
                unit_price=v.unit_price,
                volume=v.volume,
                clears=v.clears,
            )
            for v in tier_volumes(schedule, pairs)
        ]
    return GroupDemand(
        group_id=group.id,
        kind=group.kind,
        title=group.title,
        category=group.category,
        currency=group.currency,
        deadline=group.deadline,
        total_quantity=group.total_quantity,
        participant_count=group.participant_count,
        current_unit_price=live.current_unit_price,
        is_owner=group.owner_id == caller.account_id,
        demand_curve=[
            CurvePointOut(unit_price=p.unit_price, quantity=p.quantity) for p in demand_curve(pairs)
        ],
        your_offer_id=None if mine is None else mine.id,
        your_tier_volumes=volumes,
    )
