"""SQL for groups, offers, participants and intents.

Running totals change only here, by guarded ``UPDATE … RETURNING`` statements; nothing reads a
total, changes it in Python and writes it back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import (
    Group,
    GroupStatus,
    Intent,
    IntentStatus,
    Offer,
    OfferStatus,
    Participant,
)


@dataclass(frozen=True, slots=True)
class Totals:
    total_quantity: int
    best_price_reached: int | None


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> Group | None:
    return await session.get(Group, group_id)


async def list_groups(
    session: AsyncSession,
    *,
    status: GroupStatus | None,
    kind: str | None,
    category: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Group]:
    query = select(Group).order_by(Group.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Group.status == status)
    if kind is not None:
        query = query.where(Group.kind == kind)
    if category is not None:
        query = query.where(Group.category == category)
    if before is not None:
        query = query.where(Group.id < before)
    return (await session.scalars(query)).all()


async def active_offers(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> Sequence[Offer]:
    """Active offers of these groups, earliest first (the order that breaks price ties)."""
    if not group_ids:
        return []
    query = (
        select(Offer)
        .where(Offer.group_id.in_(group_ids), Offer.status == OfferStatus.active)
        .order_by(Offer.created_at, Offer.id)
    )
    return (await session.scalars(query)).all()


async def add_group(session: AsyncSession, group: Group) -> None:
    session.add(group)
    await session.flush()


async def lock_open_group(
    session: AsyncSession, group_id: uuid.UUID, now: datetime
) -> Group | None:
    """Lock an open, not yet due group's row for the rest of the transaction (offers, close)."""
    query = (
        select(Group)
        .where(Group.id == group_id, Group.status == GroupStatus.open, Group.deadline > now)
        .with_for_update()
    )
    return (await session.scalars(query)).one_or_none()


async def replace_offer(session: AsyncSession, offer: Offer) -> list[uuid.UUID]:
    """Insert ``offer``, marking the same manufacturer's earlier live offer in the group replaced.
    The caller holds the group's row lock, so two bids of one manufacturer cannot interleave."""
    replaced = await session.scalars(
        update(Offer)
        .where(
            Offer.group_id == offer.group_id,
            Offer.manufacturer_id == offer.manufacturer_id,
            Offer.status == OfferStatus.active,
        )
        .values(status=OfferStatus.replaced)
        .returning(Offer.id)
    )
    ids = list(replaced.all())
    session.add(offer)
    await session.flush()
    await session.execute(
        update(Group).where(Group.id == offer.group_id).values(version=Group.version + 1)
    )
    return ids


async def leave_participant(
    session: AsyncSession, group_id: uuid.UUID, consumer_id: uuid.UUID
) -> int:
    """Count one active intent fewer; returns what is left (0: no longer a participant)."""
    left = await session.scalar(
        update(Participant)
        .where(Participant.group_id == group_id, Participant.consumer_id == consumer_id)
        .values(active_intents=Participant.active_intents - 1)
        .returning(Participant.active_intents)
    )
    return int(left or 0)


async def count_withdrawal(
    session: AsyncSession,
    group_id: uuid.UUID,
    quantity: int,
    participant_left: bool,
    now: datetime,
) -> Totals | None:
    """Take a withdrawn intent off the totals of an open, not yet due group. None: it is not."""
    row = (
        await session.execute(
            update(Group)
            .where(Group.id == group_id, Group.status == GroupStatus.open, Group.deadline > now)
            .values(
                total_quantity=Group.total_quantity - quantity,
                intent_count=Group.intent_count - 1,
                version=Group.version + 1,
                participant_count=Group.participant_count - (1 if participant_left else 0),
            )
            .returning(Group.total_quantity, Group.best_price_reached)
        )
    ).one_or_none()
    return None if row is None else Totals(int(row[0]), row[1])


PRICE_REACHED = (
    update(Group)
    .where(
        Group.id == bindparam("group_id"),
        or_(Group.best_price_reached.is_(None), Group.best_price_reached > bindparam("price")),
    )
    .values(best_price_reached=bindparam("price"))
    .returning(Group.id)
)
"""Move the group's best-price watermark down to ``price``; no row if it was already there."""


async def lower_price_reached(
    session: AsyncSession | AsyncConnection, group_id: uuid.UUID, price: int
) -> bool:
    """Move the group's best-price watermark down to ``price``; False if it was already there
    (so each tier is announced once, however many joins race across it)."""
    moved = await session.scalar(PRICE_REACHED, {"group_id": group_id, "price": price})
    return moved is not None


async def lock_participant(
    session: AsyncSession, group_id: uuid.UUID, consumer_id: uuid.UUID
) -> None:
    await session.execute(
        select(Participant.active_intents)
        .where(Participant.group_id == group_id, Participant.consumer_id == consumer_id)
        .with_for_update()
    )


async def intent_status(session: AsyncSession, intent_id: uuid.UUID) -> IntentStatus | None:
    """The intent's status as committed now (not the session's cached copy)."""
    status: IntentStatus | None = await session.scalar(
        select(Intent.status).where(Intent.id == intent_id)
    )
    return status


async def get_intent(session: AsyncSession, intent_id: uuid.UUID) -> Intent | None:
    return await session.get(Intent, intent_id)


async def withdraw_intent(
    session: AsyncSession, intent_id: uuid.UUID, consumer_id: uuid.UUID, now: datetime
) -> Row[Any] | None:
    """Mark an active intent withdrawn; None if it is not active (any more)."""
    return (
        await session.execute(
            update(Intent)
            .where(
                Intent.id == intent_id,
                Intent.consumer_id == consumer_id,
                Intent.status == IntentStatus.active,
            )
            .values(status=IntentStatus.withdrawn, updated_at=now)
            .returning(Intent.quantity)
        )
    ).one_or_none()


async def list_intents(
    session: AsyncSession,
    consumer_id: uuid.UUID,
    *,
    group_id: uuid.UUID | None,
    status: IntentStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Intent]:
    query = (
        select(Intent)
        .where(Intent.consumer_id == consumer_id)
        .order_by(Intent.id.desc())
        .limit(limit)
    )
    if group_id is not None:
        query = query.where(Intent.group_id == group_id)
    if status is not None:
        query = query.where(Intent.status == status)
    if before is not None:
        query = query.where(Intent.id < before)
    return (await session.scalars(query)).all()


async def list_offers(
    session: AsyncSession, group_id: uuid.UUID, manufacturer_id: uuid.UUID | None
) -> Sequence[Offer]:
    query = (
        select(Offer)
        .where(Offer.group_id == group_id, Offer.status == OfferStatus.active)
        .order_by(Offer.created_at, Offer.id)
    )
    if manufacturer_id is not None:
        query = query.where(Offer.manufacturer_id == manufacturer_id)
    return (await session.scalars(query)).all()


async def is_bidder(session: AsyncSession, group_id: uuid.UUID, manufacturer_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Offer.id)
        .where(Offer.group_id == group_id, Offer.manufacturer_id == manufacturer_id)
        .limit(1)
    )
    return found is not None
