"""From rows to what the API shows: the live quote comes from ``app.pricing`` only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.db.models import Group, GroupStatus, Intent, Offer
from app.groups.schemas import GroupOut, IntentOut, NextBreakOut, OfferOut, Tier
from app.pricing import NextBreak, PricedOffer, TierSchedule, quote


def priced(offers: Sequence[Offer]) -> list[PricedOffer[uuid.UUID]]:
    """The engine's view of a group's active offers, given earliest first."""
    return [
        PricedOffer(offer.id, TierSchedule.from_tiers([tuple(t) for t in offer.tiers]), sequence)
        for sequence, offer in enumerate(offers)
    ]


def tiers_json(tiers: Sequence[Tier]) -> list[list[int]]:
    return [[tier.min_quantity, tier.unit_price] for tier in tiers]


def group_view(group: Group, offers: Sequence[Offer], caller_id: uuid.UUID) -> GroupOut:
    """The group as the API shows it: live pricing while open (DESIGN §3.3), its outcome after."""
    live = quote(priced(offers), group.total_quantity)
    price, next_break = live.current_unit_price, _next_break(live.next_break)
    ladder = [Tier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in live.ladder]
    best = live.best_offer_id
    if group.status != GroupStatus.open:
        # No pledge moves the price any more. The outcome is on the group row (no query): a
        # confirmed group shows its clearing price and the winner's ladder, which need not be the
        # offer that was cheapest at the pledged total; a failed or cancelled one has no price.
        price, next_break = group.clearing_price, None
        winner = next((o for o in offers if o.id == group.winning_offer_id), None)
        if winner is not None:
            ladder, best = _tiers(winner), winner.id
    return GroupOut(
        id=group.id,
        kind=group.kind,
        status=group.status,
        title=group.title,
        description=group.description,
        category=group.category,
        currency=group.currency,
        deadline=group.deadline,
        max_quantity=group.max_quantity,
        max_per_intent=group.max_per_intent,
        total_quantity=group.total_quantity,
        participant_count=group.participant_count,
        intent_count=group.intent_count,
        current_unit_price=price,
        next_break=next_break,
        tiers=ladder,
        best_offer_id=best,
        offer_count=len(offers),
        is_owner=group.owner_id == caller_id,
        created_at=group.created_at,
        closed_at=group.closed_at,
    )


def _next_break(step: NextBreak | None) -> NextBreakOut | None:
    if step is None:
        return None
    return NextBreakOut(
        min_quantity=step.min_quantity, unit_price=step.unit_price, units_needed=step.units_needed
    )


def _tiers(offer: Offer) -> list[Tier]:
    return [Tier(min_quantity=q, unit_price=p) for q, p in offer.tiers]


def offer_view(offer: Offer) -> OfferOut:
    return OfferOut(
        id=offer.id,
        group_id=offer.group_id,
        manufacturer_id=offer.manufacturer_id,
        currency=offer.currency,
        tiers=_tiers(offer),
        created_at=offer.created_at,
    )


def intent_view(intent: Intent) -> IntentOut:
    return IntentOut(
        id=intent.id,
        group_id=intent.group_id,
        quantity=intent.quantity,
        max_unit_price=intent.max_unit_price,
        delivery_area=intent.delivery_area,
        status=intent.status,
        reason=intent.reason,
        unit_price=intent.unit_price,
        created_at=intent.created_at,
    )
