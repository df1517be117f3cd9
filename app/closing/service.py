"""Close a group (one atomic clearing and its one order) or cancel it — each exactly once.

The API's close and the deadline worker land in ``settle``; both take the group's row lock first,
so a second closer waits and then finds the outcome the first one committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import Principal
from app.closing import repository
from app.closing.errors import GroupAlreadyClosed, GroupCancelled, NotGroupOwner, NotInGroup
from app.closing.schemas import ClearingOut
from app.db.engine import Database
from app.db.models import Group, GroupStatus, Intent, IntentStatus, Order, Role
from app.events.outbox import NewEvent, emit
from app.groups import repository as groups
from app.groups.errors import GroupNotFound
from app.groups.schemas import GroupOut
from app.groups.views import group_view, intent_view, priced
from app.metrics import GROUPS_CLOSED
from app.pricing import PRICE_ABOVE_LIMIT, clear_limits

FAILED, CANCELLED = "group_failed", "group_cancelled"


async def close(db: Database, caller: Principal, group_id: uuid.UUID) -> ClearingOut:
    """Close now (owner or admin). Closing a closed group returns its clearing again."""
    async with db.write() as session:
        group = await repository.lock_group(session, group_id)
        if group is None:
            raise GroupNotFound
        _check_owner(group, caller)
        if group.status == GroupStatus.cancelled:
            raise GroupCancelled
        if group.status == GroupStatus.open:
            outcome = await settle(session, group, datetime.now(UTC))
            await session.commit()
            GROUPS_CLOSED.labels(outcome.value).inc()  # counted once it is committed
        return await _clearing_view(session, group, caller)


class CloseFailed(Exception):
    """The close of one due group failed (and was rolled back); ``group_id`` says which."""

    def __init__(self, group_id: uuid.UUID) -> None:
        super().__init__(f"closing group {group_id} failed")
        self.group_id = group_id


async def close_due(
    db: Database, now: datetime, skip: Sequence[uuid.UUID] = ()
) -> uuid.UUID | None:
    """Close one group past its deadline, if any, but none of ``skip``; the worker calls this
    until it returns None. Raises ``CloseFailed`` (from the cause) when the close fails."""
    async with db.write() as session:
        group = await repository.claim_due_group(session, now, skip)
        if group is None:
            return None
        try:
            outcome = await settle(session, group, now)
            await session.commit()
        except Exception as exc:  # rolled back as the session closes
            raise CloseFailed(group.id) from exc
        GROUPS_CLOSED.labels(outcome.value).inc()  # counted once it is committed
        return group.id


async def settle(session: AsyncSession, group: Group, now: datetime) -> GroupStatus:
    """Clear the locked, open ``group`` and write the outcome, set-based, in this transaction;
    return the outcome (``confirmed`` or ``failed``). The caller commits, then counts it."""
    offer_rows = await groups.active_offers(session, [group.id])
    demand = await repository.demand_by_limit(session, group.id)
    result = clear_limits(priced(offer_rows), [u for _, u in demand], [p for p, _ in demand])
    if not result.cleared or result.unit_price is None:
        await repository.settle_intents(session, group.id, None, FAILED, now)
        await repository.finish_group(
            session,
            group.id,
            status=GroupStatus.failed,
            price=None,
            accepted_quantity=None,
            winning_offer_id=None,
            now=now,
        )
        await repository.insert_intent_events(session, group.id, [IntentStatus.released], now)
        reason = "no_offer" if not offer_rows else "no_offer_clears"
        await emit(
            session,
            NewEvent(
                "group.failed", {"group_id": str(group.id), "reason": reason}, group_id=group.id
            ),
        )
        return GroupStatus.failed

    price = result.unit_price
    winner = next(o for o in offer_rows if o.id == result.winning_offer_id)
    await repository.settle_intents(session, group.id, price, PRICE_ABOVE_LIMIT, now)
    lines, units = await repository.accepted_totals(session, group.id)
    order = Order(
        group_id=group.id,
        offer_id=winner.id,
        manufacturer_id=winner.manufacturer_id,
        currency=group.currency,
        unit_price=price,
        total_quantity=units,
        total_amount=units * price,
        line_count=lines,
        area_totals=await repository.area_totals(session, group.id),
        created_at=now,
    )
    session.add(order)
    await session.flush()
    await repository.insert_order_lines(session, group.id, order.id)
    await repository.finish_group(
        session,
        group.id,
        status=GroupStatus.confirmed,
        price=price,
        accepted_quantity=units,
        winning_offer_id=winner.id,
        now=now,
    )
    await repository.insert_intent_events(
        session, group.id, [IntentStatus.confirmed, IntentStatus.rejected], now
    )
    outcome = {"group_id": str(group.id), "unit_price": price, "accepted_quantity": units}
    # group.confirmed is public, so it names neither the winning offer nor the order: the winner
    # learns them from its private order.created; participants and bidders from the clearing.
    public = {"group_id": str(group.id), "status": GroupStatus.confirmed.value, **outcome}
    await emit(
        session,
        NewEvent("group.confirmed", public, group_id=group.id),
        NewEvent(
            "order.created",
            {
                **outcome,
                "winning_offer_id": str(winner.id),
                "order_id": str(order.id),
                "currency": order.currency,
                "total_amount": order.total_amount,
                "line_count": lines,
                "area_totals": order.area_totals,
            },
            group_id=group.id,
            account_id=winner.manufacturer_id,
        ),
    )
    return GroupStatus.confirmed


async def cancel(db: Database, caller: Principal, group_id: uuid.UUID) -> GroupOut:
    """Cancel an open group (owner or admin): its intents are released. Repeating is harmless."""
    now = datetime.now(UTC)
    async with db.write() as session:
        group = await repository.lock_group(session, group_id)
        if group is None:
            raise GroupNotFound
        _check_owner(group, caller)
        if group.status in (GroupStatus.confirmed, GroupStatus.failed):
            raise GroupAlreadyClosed(f"The group is {group.status.value}.")
        if group.status == GroupStatus.open:
            await repository.settle_intents(session, group.id, None, CANCELLED, now)
            await repository.finish_group(
                session,
                group.id,
                status=GroupStatus.cancelled,
                price=None,
                accepted_quantity=None,
                winning_offer_id=None,
                now=now,
            )
            await repository.insert_intent_events(session, group.id, [IntentStatus.released], now)
            await emit(
                session, NewEvent("group.cancelled", {"group_id": str(group.id)}, group_id=group.id)
            )
            await session.commit()
            GROUPS_CLOSED.labels(GroupStatus.cancelled.value).inc()
            group = await repository.lock_group(session, group_id) or group
        offers = await groups.active_offers(session, [group.id])
        return group_view(group, offers, caller.account_id)


async def get_clearing(db: Database, caller: Principal, group_id: uuid.UUID) -> ClearingOut:
    """The outcome, for the group's participants, owner, bidders and admins."""
    async with db.read() as session:
        group = await groups.get_group(session, group_id)
        if group is None:
            raise GroupNotFound
        if not await _takes_part(session, group, caller):
            raise NotInGroup
        return await _clearing_view(session, group, caller)


def _check_owner(group: Group, caller: Principal) -> None:
    if caller.role != Role.admin and group.owner_id != caller.account_id:
        raise NotGroupOwner


async def _takes_part(session: AsyncSession, group: Group, caller: Principal) -> bool:
    if caller.role == Role.admin or group.owner_id == caller.account_id:
        return True
    if caller.role == Role.manufacturer:
        return await groups.is_bidder(session, group.id, caller.account_id)
    found = await session.scalar(
        select(Intent.id)
        .where(Intent.group_id == group.id, Intent.consumer_id == caller.account_id)
        .limit(1)
    )
    return found is not None


async def _clearing_view(session: AsyncSession, group: Group, caller: Principal) -> ClearingOut:
    order_id = await session.scalar(select(Order.id).where(Order.group_id == group.id))
    mine = None
    if caller.role == Role.consumer:
        rows = await session.scalars(
            select(Intent)
            .where(Intent.group_id == group.id, Intent.consumer_id == caller.account_id)
            .order_by(Intent.id)
            .execution_options(populate_existing=True)
        )
        mine = [intent_view(row) for row in rows]
    return ClearingOut(
        group_id=group.id,
        status=group.status,
        unit_price=group.clearing_price,
        accepted_quantity=group.accepted_quantity,
        winning_offer_id=group.winning_offer_id,
        order_id=order_id,
        closed_at=group.closed_at,
        your_intents=mine,
    )
