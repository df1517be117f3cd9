from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Order, OrderLine, OrderStatus


async def get_order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    return await session.get(Order, order_id)


async def list_orders(
    session: AsyncSession,
    manufacturer_id: uuid.UUID | None,
    status: OrderStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Order]:
    query = select(Order).order_by(Order.id.desc()).limit(limit)
    if manufacturer_id is not None:
        query = query.where(Order.manufacturer_id == manufacturer_id)
    if status is not None:
        query = query.where(Order.status == status)
    if before is not None:
        query = query.where(Order.id < before)
    return (await session.scalars(query)).all()


async def list_lines(
    session: AsyncSession, order_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> Sequence[OrderLine]:
    query = (
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.intent_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(OrderLine.intent_id > after)
    return (await session.scalars(query)).all()


async def acknowledge(session: AsyncSession, order_id: uuid.UUID, now: datetime) -> bool:
    """Mark a confirmed order acknowledged; False if it already was."""
    done = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.confirmed)
        .values(status=OrderStatus.acknowledged, acknowledged_at=now)
        .returning(Order.id)
    )
    return done is not None
