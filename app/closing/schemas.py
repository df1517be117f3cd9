from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.db.models import GroupStatus
from app.groups.schemas import IntentOut


class ClearingOut(BaseModel):
    """The outcome of a group's close (DESIGN §3.5). All null while the group is open."""

    group_id: uuid.UUID
    status: GroupStatus = Field(description="The group's status: `open` until it closes.")
    unit_price: int | None = Field(description="The one price every accepted consumer pays.")
    accepted_quantity: int | None = Field(description="Units of the confirmed intents.")
    winning_offer_id: uuid.UUID | None = Field(description="The offer that cleared.")
    order_id: uuid.UUID | None = Field(description="The order it emitted (`GET /v1/orders/{id}`).")
    closed_at: datetime | None = Field(description="When the group closed.")
    your_intents: list[IntentOut] | None = Field(
        default=None, description="For a consumer: the outcome of each of its intents."
    )
