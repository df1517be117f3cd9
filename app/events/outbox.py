"""Write events in the caller's transaction: nothing is emitted that was not committed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Text, cast, delete, func, insert, literal
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import Event
from app.events.notify import MARK

EVENT_TYPES = (
    "group.created",
    "group.tier_reached",
    "group.confirmed",
    "group.failed",
    "group.cancelled",
    "offer.created",
    "intent.created",
    "intent.withdrawn",
    "intent.confirmed",
    "intent.rejected",
    "intent.released",
    "order.created",
    "order.acknowledged",
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    data: dict[str, Any]
    group_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None  # None: visible to every account
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def current_tx(session: AsyncSession | AsyncConnection) -> Any:
    """The writing transaction's id on PostgreSQL (``pg_current_xact_id()``), 0 on SQLite."""
    return current_tx_of(postgres=_is_postgres(session))


def current_tx_of(*, postgres: bool) -> Any:
    return _TX[postgres]


_TX = {True: cast(cast(func.pg_current_xact_id(), Text), BigInteger), False: literal(0, BigInteger)}
# Built once per engine kind: joins emit an event each, and building the statement costs more
# than running it.
_INSERT = {postgres: insert(Event).values(tx=tx) for postgres, tx in _TX.items()}


async def emit(session: AsyncSession | AsyncConnection, *events: NewEvent) -> None:
    await emit_many(session, events)


async def emit_many(session: AsyncSession | AsyncConnection, events: Sequence[NewEvent]) -> None:
    """Insert the events in one statement (executemany), in the order given. A session wakes the
    feed's readers when it commits; a bare connection's caller calls ``notifier.notify()``."""
    if not events:
        return
    if isinstance(session, AsyncSession):
        session.info[MARK] = True
    await session.execute(_INSERT[_is_postgres(session)], [event_row(e) for e in events])


def event_row(event: NewEvent) -> dict[str, Any]:
    """The event's columns but ``tx`` (which the inserting statement computes)."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}")
    return {
        "type": event.type,
        "data": event.data,
        "group_id": event.group_id,
        "account_id": event.account_id,
        "created_at": event.created_at,
    }


async def purge_events(session: AsyncSession, before: datetime) -> int:
    """Delete events older than the feed's retention (their cursors answer 410 anyway)."""
    result = await session.execute(delete(Event).where(Event.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def _is_postgres(session: AsyncSession | AsyncConnection) -> bool:
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    return bind.dialect.name == "postgresql"
