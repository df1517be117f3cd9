from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.db.models import OrderStatus


class AreaTotal(BaseModel):
    """An order's lines and units for one delivery area."""

    delivery_area: str | None = Field(description="Null for lines without an area.")
    lines: int = Field(description="Confirmed intents delivered there.")
    quantity: int = Field(description="Units delivered there.")


class OrderOut(BaseModel):
    """The one order a confirmed group emits to its winning manufacturer."""

    id: uuid.UUID
    group_id: uuid.UUID = Field(description="The group whose clearing emitted it.")
    offer_id: uuid.UUID = Field(description="The winning offer.")
    manufacturer_id: uuid.UUID = Field(description="The winning manufacturer's account id.")
    status: OrderStatus = Field(description="`confirmed`, then `acknowledged` once received.")
    currency: str
    unit_price: int = Field(description="The clearing price, in minor units.")
    total_quantity: int = Field(description="Units of all lines.")
    total_amount: int = Field(description="unit_price times total_quantity, in minor units.")
    line_count: int = Field(description="Lines: one per confirmed intent.")
    area_totals: list[AreaTotal] = Field(description="Lines and units per delivery_area.")
    created_at: datetime
    acknowledged_at: datetime | None = Field(description="When the manufacturer acknowledged it.")


class OrderLineOut(BaseModel):
    """One confirmed intent of an order."""

    id: uuid.UUID = Field(description="The line's id (stable; the cursor follows it).")
    consumer_ref: str = Field(description="Opaque, stable within the group; not an account id.")
    quantity: int = Field(description="Units, at the order's unit price.")
    delivery_area: str | None = Field(description="Where to deliver, as the consumer gave it.")
