"""The change feed: events a caller may see, in an order no late commit can jump behind.

On PostgreSQL an event's id is taken before its transaction commits, so a reader paging by id
could pass an id whose transaction commits later. Each event therefore records its transaction
id ``tx``; the feed is ordered by ``(tx, id)`` and serves only events of transactions older than
every transaction still running (``pg_snapshot_xmin``): all of those have committed or aborted,
and anything that commits later has a larger ``tx``. On SQLite writes are serialised, ``tx`` is 0
and id order is commit order.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Text, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Event
from app.errors import AppError

BIGINT_END = 2**63


class CursorExpired(AppError):
    status, code = 410, "cursor_expired"
    title = "The cursor is older than the feed's retention: resync, then follow the feed anew"


class InvalidFeedCursor(AppError):
    status, code, title = 400, "invalid_cursor", "The cursor is not one this API issued"


@dataclass(frozen=True, slots=True)
class Position:
    tx: int
    id: int
    at: int  # Unix seconds of the event, to tell an expired cursor


def encode(position: Position) -> str:
    raw = f"{position.tx}.{position.id}.{position.at}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, retention: timedelta, now: datetime) -> Position | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tx, event_id, at = (int(part) for part in raw.split("."))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidFeedCursor from None
    if not all(0 <= part < BIGINT_END for part in (tx, event_id, at)):
        raise InvalidFeedCursor  # never issued; out of BIGINT range, it would fail in the query
    if at < (now - retention).timestamp():
        raise CursorExpired(
            f"Events older than {retention.days} days are purged; list the current state "
            "(e.g. GET /v1/groups) and follow the feed without a cursor."
        )
    return Position(tx, event_id, at)


def position_of(event: Event) -> Position:
    return Position(event.tx, event.id, int(event.created_at.timestamp()))


async def read(
    session: AsyncSession,
    *,
    after: Position | None,
    account_id: uuid.UUID | None,
    types: Sequence[str] | None,
    limit: int,
) -> Sequence[Event]:
    """Up to ``limit`` events after ``after``, visible to ``account_id`` (None: everything)."""
    query = select(Event).order_by(Event.tx, Event.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(Event.tx, Event.id) > tuple_(after.tx, after.id))
    if session.get_bind().dialect.name == "postgresql":
        oldest_running = cast(
            cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger
        )
        query = query.where(Event.tx < oldest_running)
    if account_id is not None:
        query = query.where(or_(Event.account_id.is_(None), Event.account_id == account_id))
    if types:
        query = query.where(Event.type.in_(types))
    return (await session.scalars(query)).all()
