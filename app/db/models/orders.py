from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.ids import new_id


class OrderStatus(StrEnum):
    confirmed = "confirmed"
    acknowledged = "acknowledged"


class Order(Base):
    """The one order a confirmed group emits to the winning offer's manufacturer."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_manufacturer_id_id", "manufacturer_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id"), unique=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"))
    manufacturer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    status: Mapped[OrderStatus] = mapped_column(
        Enum(
            OrderStatus, name="order_status", native_enum=False, length=16, create_constraint=True
        ),
        default=OrderStatus.confirmed,
    )
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    total_quantity: Mapped[int] = mapped_column(BigInteger)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    area_totals: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderLine(Base):
    """One confirmed intent in an order; the consumer appears only as its opaque group reference."""

    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_order_id_intent_id", "order_id", "intent_id"),)

    # The confirmed intent this line copies (no foreign key: the close copies lines from the very
    # intent rows such a key would check, one by one, for 100,000+ lines).
    intent_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    consumer_ref: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    delivery_area: Mapped[str | None] = mapped_column(String(100))
