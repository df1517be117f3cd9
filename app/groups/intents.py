"""Use cases on intents: join a group, withdraw, list one's own.

The join writes everything it can before it touches the group's row, and bumps the totals last
with one guarded ``UPDATE … RETURNING``: on a hot group the row lock is held only from that
statement to the commit. Zero rows matched means the group closed or the cap would pass, and the
whole transaction (intent, participant, events) is rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import GroupStatus, IntentStatus
from app.errors import AppError
from app.events.notify import notifier
from app.events.outbox import NewEvent, emit, event_row
from app.groups import repository
from app.groups.errors import (
    GroupNotFound,
    GroupNotOpen,
    IntentNotActive,
    IntentNotFound,
    LimitRequired,
    MaxQuantityExceeded,
    QuantityTooLarge,
    TooManyIntents,
)
from app.groups.join_repository import AnswerRace, GroupNow, Pledge, join_transaction
from app.groups.schemas import MAX_GROUP_VOLUME, IntentCreate, IntentOut
from app.groups.views import intent_view
from app.idempotency import Idempotency, answer_row, key_params, stored_answer
from app.ids import new_id
from app.pricing import PricedOffer, TierSchedule, default_limit, quote


async def join(
    db: Database,
    caller: Principal,
    group_id: uuid.UUID,
    body: IntentCreate,
    idem: Idempotency | None,
    max_intents: int = 20,
) -> IntentOut:
    """A consumer pledges ``quantity`` units at most ``max_unit_price`` each (DESIGN §3.4);
    one consumer holds at most ``max_intents`` active intents in a group."""
    for _ in range(3):
        try:
            intent = await _join(db, caller, group_id, body, idem, max_intents)
        except AnswerRace:
            continue  # its twin's answer is stored now: the next attempt replays it
        return intent
    raise AnswerRace


async def _join(
    db: Database,
    caller: Principal,
    group_id: uuid.UUID,
    body: IntentCreate,
    idem: Idempotency | None,
    max_intents: int,
) -> IntentOut:
    now = datetime.now(UTC)
    key = key_params(caller.account_id, idem)
    async with join_transaction(db) as store:
        found = await store.lookup(group_id, key, claim=idem is not None)
        if idem is not None:
            if (stored := stored_answer(idem, found.claimed, found.stored, now)) is not None:
                return IntentOut.model_validate_json(stored)
            if found.stored is not None:  # expired: the key may be used anew
                await store.forget_answer(key)
        group = found.group
        if group is None:
            raise GroupNotFound
        if group.status != GroupStatus.open or group.deadline <= now:
            raise GroupNotOpen(
                f"The group is {_state(group.status, group.deadline, now)}; "
                "it takes no more intents."
            )
        if body.quantity > group.max_per_intent:
            raise QuantityTooLarge(f"This group takes at most {group.max_per_intent} per intent.")
        offers = _priced(group.offers)
        limit = body.max_unit_price or default_limit(offers, group.total_quantity)
        if limit is None:
            raise LimitRequired

        intent = IntentOut(
            id=new_id(),
            group_id=group_id,
            quantity=body.quantity,
            max_unit_price=limit,
            delivery_area=body.delivery_area,
            status=IntentStatus.active,
            reason=None,
            unit_price=None,
            created_at=now,
        )
        row = {
            "id": intent.id,
            "group_id": group_id,
            "consumer_id": caller.account_id,
            "quantity": body.quantity,
            "max_unit_price": limit,
            "delivery_area": body.delivery_area,
            "status": IntentStatus.active,
            "created_at": now,
            "updated_at": now,
        }
        event = event_row(_intent_event("intent.created", intent, caller.account_id))
        answer = None
        if idem is not None:
            answer = answer_row(caller.account_id, idem, intent.model_dump_json())
        counted = await store.record(Pledge(row, event, answer), max_intents, now)
        if counted.held > max_intents:
            raise TooManyIntents(f"At most {max_intents} active intents per consumer and group.")
        if counted.totals is None:
            raise _refusal(await store.group_now(group_id), body.quantity, now)
        reached = tiers_reached(group_id, offers, counted.totals)
        if reached is not None and await store.lower_price_reached(group_id, reached[0]):
            await store.emit(reached[1])
    notifier.notify()  # committed: wake the feed's long polls and the group's live page
    return intent


def _priced(offers: Sequence[tuple[uuid.UUID, list[Any]]]) -> list[PricedOffer[uuid.UUID]]:
    """The engine's view of a group's active offers, given earliest first (``views.priced``)."""
    return [
        PricedOffer(offer_id, TierSchedule.from_tiers([tuple(t) for t in tiers]), sequence)
        for sequence, (offer_id, tiers) in enumerate(offers)
    ]


async def announce_tiers(
    session: AsyncSession,
    group_id: uuid.UUID,
    offers: Sequence[PricedOffer[uuid.UUID]],
    totals: repository.Totals,
) -> None:
    """Emit ``group.tier_reached`` the first time the best price reaches each tier. The caller
    holds the group's row lock (its totals UPDATE, or a bid's lock), so the watermark moves once
    per tier."""
    reached = tiers_reached(group_id, offers, totals)
    if reached is not None and await repository.lower_price_reached(session, group_id, reached[0]):
        await emit(session, *reached[1])


def tiers_reached(
    group_id: uuid.UUID, offers: Sequence[PricedOffer[uuid.UUID]], totals: repository.Totals
) -> tuple[int, list[NewEvent]] | None:
    """The best price at the group's new total and a ``group.tier_reached`` event for each tier
    it reaches below the watermark; None when the watermark stays (the usual case)."""
    live = quote(offers, totals.total_quantity)
    price, before = live.current_unit_price, totals.best_price_reached
    if price is None or (before is not None and price >= before):
        return None
    reached = [
        tier
        for tier in live.ladder
        if tier.min_quantity <= totals.total_quantity
        and price <= tier.unit_price
        and (before is None or tier.unit_price < before)
    ]
    events = [
        NewEvent(
            "group.tier_reached",
            {
                "group_id": str(group_id),
                "offer_id": str(live.best_offer_id),
                "min_quantity": tier.min_quantity,
                "unit_price": tier.unit_price,
                "total_quantity": totals.total_quantity,
            },
            group_id=group_id,
        )
        for tier in reached
    ]
    return price, events


def _refusal(group: GroupNow, quantity: int, now: datetime) -> AppError:
    """Why the guarded totals UPDATE matched nothing."""
    if group.status != GroupStatus.open or group.deadline <= now:
        state = _state(group.status, group.deadline, now)
        return GroupNotOpen(f"The group is {state}; it takes no more intents.")
    cap = group.max_quantity or MAX_GROUP_VOLUME
    room = cap - group.total_quantity
    return MaxQuantityExceeded(
        f"The cap is {cap} units; {room} are left and you asked for {quantity}."
    )


def _state(status: GroupStatus, deadline: datetime, now: datetime) -> str:
    if status == GroupStatus.open and deadline <= now:
        return "past its deadline"
    return status.value


def _intent_event(kind: str, intent: IntentOut, consumer_id: uuid.UUID) -> NewEvent:
    return NewEvent(
        kind,
        {
            "intent_id": str(intent.id),
            "group_id": str(intent.group_id),
            "quantity": intent.quantity,
            "max_unit_price": intent.max_unit_price,
            "delivery_area": intent.delivery_area,
            "status": intent.status.value,
        },
        group_id=intent.group_id,
        account_id=consumer_id,
    )


async def withdraw(db: Database, caller: Principal, intent_id: uuid.UUID) -> IntentOut:
    """Withdraw one's own active intent while its group is open. Repeating it is harmless."""
    now = datetime.now(UTC)
    async with db.write() as session:
        intent = await repository.get_intent(session, intent_id)
        if intent is None or intent.consumer_id != caller.account_id:
            raise IntentNotFound
        if intent.status == IntentStatus.withdrawn:
            return intent_view(intent)
        if intent.status != IntentStatus.active:
            raise IntentNotActive(f"The intent is {intent.status.value}.")
        # Every join and withdrawal of this consumer in this group queues on its participant row;
        # once we hold it, a fresh read of the status is current (a twin request may have won).
        await repository.lock_participant(session, intent.group_id, caller.account_id)
        status = await repository.intent_status(session, intent.id)
        if status == IntentStatus.withdrawn:
            return intent_view(intent).model_copy(update={"status": IntentStatus.withdrawn})
        if status != IntentStatus.active:
            raise IntentNotActive(f"The intent is {status}.")
        left = await repository.leave_participant(session, intent.group_id, caller.account_id)
        totals = await repository.count_withdrawal(
            session, intent.group_id, intent.quantity, left == 0, now
        )
        if totals is None:
            raise GroupNotOpen("The group is no longer open; intents are frozen.")
        if await repository.withdraw_intent(session, intent.id, caller.account_id, now) is None:
            raise IntentNotActive("The intent changed meanwhile; read it again.")
        view = intent_view(intent).model_copy(update={"status": IntentStatus.withdrawn})
        await emit(session, _intent_event("intent.withdrawn", view, caller.account_id))
        await session.commit()
    return view


async def list_intents(
    db: Database,
    caller: Principal,
    *,
    group_id: uuid.UUID | None,
    status: IntentStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> tuple[list[IntentOut], bool]:
    async with db.read() as session:
        rows = await repository.list_intents(
            session,
            caller.account_id,
            group_id=group_id,
            status=status,
            before=before,
            limit=limit + 1,
        )
    return [intent_view(row) for row in rows[:limit]], len(rows) > limit
