from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.accounts.auth import CurrentManufacturer, CurrentManufacturerOrAdmin
from app.db.models import OrderStatus
from app.deps import DbDep
from app.errors import Forbidden, Unauthenticated, responses
from app.orders import service
from app.orders.schemas import OrderLineOut, OrderOut
from app.orders.service import OrderNotFound
from app.pagination import (
    CursorQuery,
    InvalidCursor,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
)

router = APIRouter(prefix="/v1/orders", tags=["orders"])
AUTH = (Unauthenticated, Forbidden)


def _order_id(order_id: Annotated[str, Path(description="The order's id (a UUID).")]) -> uuid.UUID:
    try:
        return uuid.UUID(order_id)
    except ValueError:
        raise OrderNotFound from None


OrderId = Annotated[uuid.UUID, Depends(_order_id)]


@router.get(
    "", summary="Your orders, newest first (admins: all)", responses=responses(*AUTH, InvalidCursor)
)
async def list_orders(
    db: DbDep,
    caller: CurrentManufacturerOrAdmin,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[OrderOut]:
    orders, more = await service.list_orders(db, caller, status, decode_cursor(cursor), limit)
    # The service already cut the page to `limit` rows and says whether more follow.
    return Page(data=orders, next_cursor=encode_cursor(orders[-1].id) if more else None)


@router.get(
    "/{order_id}",
    summary="One order with its totals per delivery area",
    responses=responses(*AUTH, OrderNotFound),
)
async def get_order(db: DbDep, caller: CurrentManufacturerOrAdmin, order_id: OrderId) -> OrderOut:
    return await service.get_order(db, caller, order_id)


@router.get(
    "/{order_id}/lines",
    summary="The order's lines: one per confirmed intent, consumers as opaque references",
    responses=responses(*AUTH, OrderNotFound, InvalidCursor),
)
async def list_order_lines(
    db: DbDep,
    caller: CurrentManufacturerOrAdmin,
    order_id: OrderId,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size, 1 to 1000.")] = 500,
    cursor: CursorQuery = None,
) -> Page[OrderLineOut]:
    lines, more = await service.list_lines(db, caller, order_id, decode_cursor(cursor), limit)
    return Page(data=lines, next_cursor=encode_cursor(lines[-1].id) if more else None)


@router.post(
    "/{order_id}/acknowledge",
    summary="Mark your order received (repeating it changes nothing)",
    responses=responses(*AUTH, OrderNotFound),
)
async def acknowledge_order(db: DbDep, caller: CurrentManufacturer, order_id: OrderId) -> OrderOut:
    return await service.acknowledge(db, caller, order_id)
