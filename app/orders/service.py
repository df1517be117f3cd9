"""Use cases on orders: a manufacturer reads its own and acknowledges them; admins read all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import Order, OrderStatus, Role
from app.errors import NotFound
from app.events.outbox import NewEvent, emit
from app.orders import repository
from app.orders.schemas import AreaTotal, OrderLineOut, OrderOut


class OrderNotFound(NotFound):
    code, title = "order_not_found", "No such order of yours"


def _visible(order: Order | None, caller: Principal) -> Order:
    if order is None or (caller.role != Role.admin and order.manufacturer_id != caller.account_id):
        raise OrderNotFound
    return order


def order_view(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id,
        group_id=order.group_id,
        offer_id=order.offer_id,
        manufacturer_id=order.manufacturer_id,
        status=order.status,
        currency=order.currency,
        unit_price=order.unit_price,
        total_quantity=order.total_quantity,
        total_amount=order.total_amount,
        line_count=order.line_count,
        area_totals=[AreaTotal.model_validate(area) for area in order.area_totals],
        created_at=order.created_at,
        acknowledged_at=order.acknowledged_at,
    )


async def list_orders(
    db: Database,
    caller: Principal,
    status: OrderStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> tuple[list[OrderOut], bool]:
    only = None if caller.role == Role.admin else caller.account_id
    async with db.read() as session:
        rows = await repository.list_orders(session, only, status, before, limit + 1)
    return [order_view(row) for row in rows[:limit]], len(rows) > limit


async def get_order(db: Database, caller: Principal, order_id: uuid.UUID) -> OrderOut:
    async with db.read() as session:
        return order_view(_visible(await repository.get_order(session, order_id), caller))


async def list_lines(
    db: Database, caller: Principal, order_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> tuple[list[OrderLineOut], bool]:
    async with db.read() as session:
        _visible(await repository.get_order(session, order_id), caller)
        rows = await repository.list_lines(session, order_id, after, limit + 1)
    lines = [
        OrderLineOut(
            id=row.intent_id,
            consumer_ref=row.consumer_ref,
            quantity=row.quantity,
            delivery_area=row.delivery_area,
        )
        for row in rows[:limit]
    ]
    return lines, len(rows) > limit


async def acknowledge(db: Database, caller: Principal, order_id: uuid.UUID) -> OrderOut:
    """Mark one's own order received; repeating it changes nothing."""
    now = datetime.now(UTC)
    async with db.write() as session:
        order = _visible(await repository.get_order(session, order_id), caller)
        if order.status == OrderStatus.confirmed and await repository.acknowledge(
            session, order.id, now
        ):
            await emit(
                session,
                NewEvent(
                    "order.acknowledged",
                    {"order_id": str(order.id), "group_id": str(order.group_id)},
                    group_id=order.group_id,
                    account_id=order.manufacturer_id,
                ),
            )
            await session.commit()
            order.status, order.acknowledged_at = OrderStatus.acknowledged, now
        return order_view(order)
