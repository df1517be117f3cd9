"""Request and response bodies of groups, offers and intents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from app.db.models import GroupKind, GroupStatus, IntentStatus
from app.text import SafeStr


def _upper_iso4217(value: str) -> str:
    if not value.isascii() or not value.isalpha():
        raise ValueError("must be a three-letter ISO 4217 code such as EUR")
    return value.upper()


Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(_upper_iso4217),
]
# An order's amount is its volume times its unit price: with both at most 10**9 it fits the
# 64-bit integer it is stored in (a join past MAX_GROUP_VOLUME is refused like one past a cap).
MAX_UNIT_PRICE = 10**9
MAX_GROUP_VOLUME = 10**9
# Strict: a JSON number, never `true` or "5" taken for one.
Money = Annotated[
    int,
    Strict(),
    Field(gt=0, le=MAX_UNIT_PRICE, description="Minor units (cents) of the currency."),
]
Quantity = Annotated[int, Strict(), Field(ge=1, le=1_000_000)]


class Tier(BaseModel):
    """A price break: from `min_quantity` pooled units on, every unit costs `unit_price`."""

    model_config = ConfigDict(extra="forbid")

    min_quantity: Annotated[int, Strict(), Field(ge=1, le=10**9)] = Field(
        description="Pooled units from which this price applies.", examples=[50]
    )
    unit_price: Money = Field(examples=[800])


class OfferIn(BaseModel):
    """A manufacturer's tier schedule for one group."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "currency": "EUR",
                    "tiers": [
                        {"min_quantity": 10, "unit_price": 1000},
                        {"min_quantity": 50, "unit_price": 800},
                        {"min_quantity": 100, "unit_price": 600},
                    ],
                }
            ]
        },
    )

    currency: Currency = Field(description="ISO 4217 code; must be the group's.", examples=["EUR"])
    tiers: list[Tier] = Field(
        min_length=1,
        max_length=50,
        description="Price breaks in order: strictly increasing `min_quantity` (the first ≥ 1), "
        "non-increasing `unit_price`. An unsorted list is refused.",
    )


class GroupCreate(BaseModel):
    """A new group: a manufacturer's campaign (with `offer`) or a consumer's request."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Trail bike, model X",
                    "description": "Pooled order of the 2027 trail bike.",
                    "category": "bikes",
                    "currency": "EUR",
                    "deadline": "2027-01-31T18:00:00Z",
                    "max_quantity": 500,
                    "offer": OfferIn.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                }
            ]
        },
    )

    title: Annotated[str, SafeStr(strip=True, min_length=1, max_length=200)]
    description: Annotated[str, SafeStr(max_length=5000, multiline=True)] = ""
    category: Annotated[str, SafeStr(strip=True, min_length=1, max_length=64)] | None = Field(
        default=None, description="Free-form label to filter by (`GET /v1/groups?category=`)."
    )
    currency: Currency = Field(
        description="ISO 4217 code; a campaign's must match its offer's.", examples=["EUR"]
    )
    deadline: datetime = Field(description="When the group closes (RFC 3339, with an offset).")
    max_quantity: Annotated[int, Strict(), Field(ge=1, le=MAX_GROUP_VOLUME)] | None = Field(
        default=None,
        description="Hard cap on the sum of active intents (without one, the cap is 10^9 units).",
    )
    max_per_intent: Annotated[int, Strict(), Field(ge=1, le=1_000_000)] = Field(
        default=1_000_000, description="Largest quantity one intent may pledge."
    )
    offer: OfferIn | None = Field(
        default=None,
        description="Required for a manufacturer's campaign; absent for a consumer's request.",
    )


class NextBreakOut(BaseModel):
    """The next price break of the best offer: how many more units bring the next price."""

    min_quantity: int = Field(description="The tier's threshold.", examples=[50])
    unit_price: int = Field(description="Its unit price, in minor units.", examples=[800])
    units_needed: int = Field(description="Units still to pledge to reach it.", examples=[18])


class GroupOut(BaseModel):
    """A group: its live pricing while `open` (DESIGN §3.3), its outcome once closed.

    While `open`, the pricing fields show the **best offer** at `total_quantity`: among the
    offers that have a price at that volume, the lowest price, a tie going to the earlier offer.
    When every offer is below its minimum order quantity (MOQ, its first tier's `min_quantity`),
    it is the offer with the lowest MOQ (the closest to a price), then the lower first-tier price,
    then the earlier offer; `current_unit_price` is then null and `next_break` that offer's first
    tier. "Earlier" is by creation; a bid that replaced the same manufacturer's earlier bid counts
    from its own creation.

    Once the group is no longer `open`, nothing moves any more. A `confirmed` group shows its
    clearing price as `current_unit_price` and the winning offer's `tiers` and id. A `failed` or
    `cancelled` group has no price: `current_unit_price` is null, and `tiers` and `best_offer_id`
    are those of the offer that was best at the close's total. `next_break` is null in every
    closed state. `total_quantity`, `participant_count` and `intent_count` keep their values from
    the moment of the close (the intents then became confirmed, rejected or released);
    `GET /v1/groups/{group_id}/clearing` has the accepted quantity.
    """

    id: uuid.UUID
    kind: GroupKind = Field(
        description="`campaign` (a manufacturer's) or `request` (a consumer's)."
    )
    status: GroupStatus = Field(description="`open`, then `confirmed`, `failed` or `cancelled`.")
    title: str
    description: str
    category: str | None
    currency: str = Field(description="ISO 4217 code of every price in the group.")
    deadline: datetime = Field(description="When the worker closes the group.")
    max_quantity: int | None = Field(description="Cap on the sum of active intents, if any.")
    max_per_intent: int = Field(description="Largest quantity one intent may pledge.")
    total_quantity: int = Field(
        description="Units pledged by active intents; once closed, the total at the close."
    )
    participant_count: int = Field(
        description="Distinct consumers with an active intent; once closed, as at the close."
    )
    intent_count: int = Field(description="Active intents; once closed, as at the close.")
    current_unit_price: int | None = Field(
        description="`open`: the best offer's price at `total_quantity`, null below its MOQ or "
        "without offers. `confirmed`: the clearing price every accepted intent pays. `failed`, "
        "`cancelled`: null."
    )
    next_break: NextBreakOut | None = Field(
        description="`open`: the best offer's next tier (its first tier below its MOQ); null at "
        "its last tier or without offers. Null once the group is no longer `open`."
    )
    tiers: list[Tier] = Field(
        description="The best offer's ladder (empty without offers); once `confirmed`, the "
        "winning offer's."
    )
    best_offer_id: uuid.UUID | None = Field(
        description="`open`: the offer shown (the lowest price at `total_quantity`; below every "
        "MOQ, the lowest MOQ: see the schema's description). `confirmed`: the winning offer. "
        "`failed`, `cancelled`: the offer that was best at the close. Null without offers."
    )
    offer_count: int = Field(description="Live offers: 1 for a campaign, the bids for a request.")
    is_owner: bool = Field(description="Whether the caller opened this group.")
    created_at: datetime
    closed_at: datetime | None = Field(description="When it left `open`; null while open.")


class OfferOut(BaseModel):
    """A tier schedule offered for a group."""

    id: uuid.UUID
    group_id: uuid.UUID
    manufacturer_id: uuid.UUID = Field(description="The bidding manufacturer's account id.")
    currency: str
    tiers: list[Tier] = Field(description="Price breaks, by increasing `min_quantity`.")
    created_at: datetime


class IntentCreate(BaseModel):
    """A consumer's pledge to buy `quantity` units at most at `max_unit_price` each."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"quantity": 2, "max_unit_price": 900, "delivery_area": "DE-BE"}]
        },
    )

    quantity: Quantity = Field(description="Units you pledge.", examples=[2])
    max_unit_price: Money | None = Field(
        default=None,
        description="The most you will pay per unit. Omitted: the price shown just before your "
        "join (or the first tier's price below MOQ). Required in a request with no offer.",
    )
    delivery_area: Annotated[str, SafeStr(strip=True, min_length=1, max_length=100)] | None = Field(
        default=None,
        description="Where to deliver (free text, e.g. a region code); orders total "
        "their lines per area.",
        examples=["DE-BE"],
    )


class IntentOut(BaseModel):
    """A consumer's pledge in a group and its outcome."""

    id: uuid.UUID
    group_id: uuid.UUID
    quantity: int
    max_unit_price: int = Field(description="Your limit per unit, in minor units.")
    delivery_area: str | None
    status: IntentStatus = Field(
        description="`active`, then `withdrawn`, `confirmed`, `rejected` or `released`."
    )
    reason: str | None = Field(description="Why it was rejected or released, if it was.")
    unit_price: int | None = Field(description="The clearing price, once confirmed.")
    created_at: datetime
