from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.ids import new_id


class GroupKind(StrEnum):
    campaign = "campaign"
    request = "request"


class GroupStatus(StrEnum):
    open = "open"
    confirmed = "confirmed"
    failed = "failed"
    cancelled = "cancelled"


class OfferStatus(StrEnum):
    active = "active"
    replaced = "replaced"


class IntentStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"
    confirmed = "confirmed"
    rejected = "rejected"
    released = "released"


def _enum(kind: type[StrEnum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=16, create_constraint=True)


class Group(Base):
    """A demand group. The running totals change only by guarded ``UPDATE … RETURNING``."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("total_quantity >= 0", name="total_quantity_not_negative"),
        CheckConstraint(
            "max_quantity IS NULL OR total_quantity <= max_quantity", name="cap_respected"
        ),
        Index("ix_groups_status_deadline", "status", "deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[GroupKind] = mapped_column(_enum(GroupKind, "group_kind"))
    status: Mapped[GroupStatus] = mapped_column(
        _enum(GroupStatus, "group_status"), default=GroupStatus.open
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    max_quantity: Mapped[int | None] = mapped_column(BigInteger)
    max_per_intent: Mapped[int] = mapped_column(Integer)
    total_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    intent_count: Mapped[int] = mapped_column(Integer, default=0)
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    best_price_reached: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped by every change a poller could see (joins, withdrawals, bids, close): the ETag.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The clearing, once closed (DESIGN §3.5): one uniform price for the accepted intents.
    clearing_price: Mapped[int | None] = mapped_column(BigInteger)
    accepted_quantity: Mapped[int | None] = mapped_column(BigInteger)
    winning_offer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Offer(Base):
    """One manufacturer's tier schedule for one group. Rows are immutable; a new bid from the
    same manufacturer marks its earlier one ``replaced``."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_group_id_status", "group_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    manufacturer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[OfferStatus] = mapped_column(
        _enum(OfferStatus, "offer_status"), default=OfferStatus.active
    )
    currency: Mapped[str] = mapped_column(String(3))
    tiers: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Participant(Base):
    """A consumer in a group: how many active intents it holds, and the opaque reference that
    manufacturers see instead of its identity."""

    __tablename__ = "participants"
    __table_args__ = (CheckConstraint("active_intents >= 0", name="active_intents_not_negative"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    consumer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32))
    active_intents: Mapped[int] = mapped_column(Integer, default=0)


class Intent(Base):
    __tablename__ = "intents"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("max_unit_price > 0", name="max_unit_price_positive"),
        Index("ix_intents_group_id_status", "group_id", "status"),
        Index("ix_intents_consumer_id_id", "consumer_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    consumer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    max_unit_price: Mapped[int] = mapped_column(BigInteger)
    delivery_area: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[IntentStatus] = mapped_column(
        _enum(IntentStatus, "intent_status"), default=IntentStatus.active
    )
    reason: Mapped[str | None] = mapped_column(String(32))
    unit_price: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
