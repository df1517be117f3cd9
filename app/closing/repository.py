"""Set-based SQL of the close: every statement touches all of a group's intents at once."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Event, Group, GroupStatus, Intent, IntentStatus, OrderLine, Participant
from app.events.notify import MARK
from app.events.outbox import current_tx


async def lock_group(session: AsyncSession, group_id: uuid.UUID) -> Group | None:
    """The group, its row locked until the transaction ends (a second closer waits here)."""
    query = (
        select(Group)
        .where(Group.id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def claim_due_group(
    session: AsyncSession, now: datetime, skip: Collection[uuid.UUID] = ()
) -> Group | None:
    """The open group with the earliest deadline at or before ``now`` that is not in ``skip``
    (groups whose close failed, backing off) and that no other worker holds (SKIP LOCKED on
    PostgreSQL; SQLite has a single writer, so the plain row is enough)."""
    query = (
        select(Group)
        .where(Group.status == GroupStatus.open, Group.deadline <= now)
        .order_by(Group.deadline)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if skip:
        query = query.where(Group.id.not_in(list(skip)))
    return (await session.scalars(query)).one_or_none()


async def demand_by_limit(session: AsyncSession, group_id: uuid.UUID) -> list[tuple[int, int]]:
    """(limit, units) of the group's active intents, summed per distinct limit."""
    rows = await session.execute(
        select(Intent.max_unit_price, func.sum(Intent.quantity))
        .where(Intent.group_id == group_id, Intent.status == IntentStatus.active)
        .group_by(Intent.max_unit_price)
    )
    return [(int(limit), int(units)) for limit, units in rows]


async def settle_intents(
    session: AsyncSession, group_id: uuid.UUID, price: int | None, reason: str, now: datetime
) -> None:
    """Confirm every active intent whose limit is at least ``price`` at that price, then mark the
    rest ``rejected`` (with a price) or ``released`` (without one), with ``reason``."""
    active = (Intent.group_id == group_id) & (Intent.status == IntentStatus.active)
    if price is not None:
        await session.execute(
            update(Intent)
            .where(active, Intent.max_unit_price >= price)
            .values(status=IntentStatus.confirmed, unit_price=price, updated_at=now)
        )
    rest = IntentStatus.rejected if price is not None else IntentStatus.released
    await session.execute(
        update(Intent).where(active).values(status=rest, reason=reason, updated_at=now)
    )


async def accepted_totals(session: AsyncSession, group_id: uuid.UUID) -> tuple[int, int]:
    count, units = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Intent.quantity), 0)).where(
                Intent.group_id == group_id, Intent.status == IntentStatus.confirmed
            )
        )
    ).one()
    return int(count), int(units)


async def area_totals(session: AsyncSession, group_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Intent.delivery_area, func.count(), func.sum(Intent.quantity))
        .where(Intent.group_id == group_id, Intent.status == IntentStatus.confirmed)
        .group_by(Intent.delivery_area)
        # NULLS LAST on both engines (SQLite's default puts NULL first, PostgreSQL's last).
        .order_by(Intent.delivery_area.asc().nulls_last())
    )
    return [
        {"delivery_area": area, "lines": int(lines), "quantity": int(units)}
        for area, lines, units in rows
    ]


async def insert_order_lines(
    session: AsyncSession, group_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """One line per confirmed intent, copied by the database (INSERT … SELECT)."""
    source = (
        select(
            Intent.id,
            literal(order_id, type_=OrderLine.order_id.type),
            Participant.ref,
            Intent.quantity,
            Intent.delivery_area,
        )
        .join(
            Participant,
            (Participant.group_id == Intent.group_id)
            & (Participant.consumer_id == Intent.consumer_id),
        )
        .where(Intent.group_id == group_id, Intent.status == IntentStatus.confirmed)
    )
    columns = ["intent_id", "order_id", "consumer_ref", "quantity", "delivery_area"]
    await session.execute(insert(OrderLine).from_select(columns, source))


async def insert_intent_events(
    session: AsyncSession,
    group_id: uuid.UUID,
    statuses: Sequence[IntentStatus],
    now: datetime,
) -> None:
    """``intent.<status>`` for every intent of the group now in one of ``statuses``, private to
    its consumer, written by the database in one statement per status."""
    session.info[MARK] = True
    for status in statuses:
        source = _intent_event_rows(session, group_id, status, now)
        columns = ["type", "group_id", "account_id", "data", "created_at", "tx"]
        await session.execute(insert(Event).from_select(columns, source))


def _intent_event_rows(
    session: AsyncSession, group_id: uuid.UUID, status: IntentStatus, now: datetime
) -> Select[Any]:
    sqlite = session.get_bind().dialect.name == "sqlite"
    build = func.json_object if sqlite else func.json_build_object
    intent_id: Any = Intent.id
    group: Any = Intent.group_id
    if sqlite:  # SQLite stores UUIDs as 32 hex digits; events carry the dashed form
        intent_id, group = _dashed(Intent.id), _dashed(Intent.group_id)
    data = build(
        "intent_id",
        intent_id,
        "group_id",
        group,
        "quantity",
        Intent.quantity,
        "max_unit_price",
        Intent.max_unit_price,
        "delivery_area",
        Intent.delivery_area,
        "status",
        Intent.status,
        "unit_price",
        Intent.unit_price,
        "reason",
        Intent.reason,
    )
    return select(
        literal(f"intent.{status.value}"),
        Intent.group_id,
        Intent.consumer_id,
        data,
        literal(now, type_=Event.created_at.type),
        current_tx(session),
    ).where(Intent.group_id == group_id, Intent.status == status)


def _dashed(column: Any) -> Any:
    hex_id = func.lower(column)
    parts = [func.substr(hex_id, start, length) for start, length in _UUID_PARTS]
    return func.printf("%s-%s-%s-%s-%s", *parts)


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


async def finish_group(
    session: AsyncSession,
    group_id: uuid.UUID,
    *,
    status: GroupStatus,
    price: int | None,
    accepted_quantity: int | None,
    winning_offer_id: uuid.UUID | None,
    now: datetime,
) -> None:
    await session.execute(
        update(Group)
        .where(Group.id == group_id, Group.status == GroupStatus.open)
        .values(
            status=status,
            closed_at=now,
            clearing_price=price,
            accepted_quantity=accepted_quantity,
            winning_offer_id=winning_offer_id,
            version=Group.version + 1,
        )
    )
