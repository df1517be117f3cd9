"""From rows to what the API shows: the live quote comes from ``app.pricing`` only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.db.models import Group, Intent, Offer
from app.groups.schemas import GroupOut, IntentOut, NextBreakOut, OfferOut, Tier
from app.pricing import PricedOffer, TierSchedule, quote


def priced(offers: Sequence[Offer]) -> list[PricedOffer[uuid.UUID]]:
    """The engine's view of a group's active offers, given earliest first."""
    return [
        PricedOffer(offer.id, TierSchedule.from_tiers([tuple(t) for t in offer.tiers]), sequence)
        for sequence, offer in enumerate(offers)
    ]


def tiers_json(tiers: Sequence[Tier]) -> list[list[int]]:
    return [[tier.min_quantity, tier.unit_price] for tier in tiers]


def group_view(group: Group, offers: Sequence[Offer], caller_id: uuid.UUID) -> GroupOut:
    live = quote(priced(offers), group.total_quantity)
    next_break = live.next_break
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
        current_unit_price=live.current_unit_price,
        next_break=None
        if next_break is None
        else NextBreakOut(
            min_quantity=next_break.min_quantity,
            unit_price=next_break.unit_price,
            units_needed=next_break.units_needed,
        ),
        tiers=[Tier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in live.ladder],
        best_offer_id=live.best_offer_id,
        offer_count=len(offers),
        is_owner=group.owner_id == caller_id,
        created_at=group.created_at,
        closed_at=group.closed_at,
    )


def offer_view(offer: Offer) -> OfferOut:
    return OfferOut(
        id=offer.id,
        group_id=offer.group_id,
        manufacturer_id=offer.manufacturer_id,
        currency=offer.currency,
        tiers=[Tier(min_quantity=q, unit_price=p) for q, p in offer.tiers],
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
