from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class Event(Base):
    """The outbox: an immutable record of a state change, written in the same transaction.

    ``account_id`` is the one account the event is private to (a consumer's own intent, a
    manufacturer's own order); NULL means every authenticated account may see it.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_account_id_id", "account_id", "id"),
        Index("ix_events_tx_id", "tx", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # The writing transaction's id on PostgreSQL (0 on SQLite): the feed's order is (tx, id),
    # served only below the oldest running transaction, so a late commit is never skipped.
    tx: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    type: Mapped[str] = mapped_column(String(40))
    group_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # No foreign key: the outbox is a log (accounts are never deleted), and a close writes one
    # event per intent, where a per-row key check is a third of the cost.
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """The first answer to a create, replayed for a retry with the same key and body."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
