from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.db.models import GroupKind


class CurvePointOut(BaseModel):
    unit_price: int
    quantity: int = Field(description="Units whose limit is at least unit_price.")


class TierVolumeOut(BaseModel):
    min_quantity: int
    unit_price: int
    volume: int = Field(description="Units willing to pay this tier's price.")
    clears: bool = Field(description="Whether that volume reaches the tier (price(volume) ≤ it).")


class GroupDemand(BaseModel):
    group_id: uuid.UUID
    kind: GroupKind
    title: str
    category: str | None
    currency: str
    deadline: datetime
    total_quantity: int = Field(description="Units pledged by active intents.")
    participant_count: int = Field(description="Distinct consumers with an active intent.")
    current_unit_price: int | None = Field(
        description="The best offer's price at `total_quantity`, as `GET /v1/groups/{group_id}` "
        "shows it; null below its MOQ or without offers."
    )
    is_owner: bool = Field(description="Whether you opened this group.")
    demand_curve: list[CurvePointOut] = Field(
        description="Units willing at each price, highest price first (cumulative)."
    )
    your_offer_id: uuid.UUID | None
    your_tier_volumes: list[TierVolumeOut] | None = Field(
        description="For your own live offer: the volume each of its tiers would clear at."
    )


class DemandPage(BaseModel):
    data: list[GroupDemand]
    next_cursor: str | None
