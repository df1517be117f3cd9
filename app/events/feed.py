"""The change feed: events a caller may see, in an order no late commit can jump behind.

On PostgreSQL an event's id is taken before its transaction commits, so a reader paging by id
could pass an id whose transaction commits later. Each event therefore records its transaction
id ``tx``; the feed is ordered by ``(tx, id)`` and serves only events of transactions older than
every transaction still running (``pg_snapshot_xmin``): all of those have committed or aborted,
and anything that commits later has a larger ``tx``. On SQLite writes are serialised, ``tx`` is 0
and id order is commit order.

A cursor is the position of an event and its date. It moves over every event the server looked
at for the reader, whether the event matched the reader's filters or not, but never past that
bound; it expires (410) once its event is older than the retention, when the purge may have
deleted events after it that the reader has not seen. A reader who keeps reading therefore keeps
its cursor however rarely an event is for it. One that finds no event at all after its position
keeps its cursor unchanged and loses it with that event: on SQLite an emptied table can hand out
its ids again, which a cursor past them would skip.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    cast,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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


@dataclass(frozen=True, slots=True)
class Page:
    events: Sequence[Event]
    next: Position | None  # where the reader continues; None only before the first event


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
    query = _matching(session, after, account_id, types, limit)
    return (await session.scalars(query)).all()


async def read_page(
    session: AsyncSession,
    *,
    after: Position | None,
    account_id: uuid.UUID | None,
    types: Sequence[str] | None,
    limit: int,
) -> Page:
    """Up to ``limit`` events after ``after`` that ``account_id`` may see (None: everything) and
    of ``types``, and where the reader continues. A full page continues after its last event; a
    shorter one holds every match below the bound, so the reader continues after the newest
    event below the bound, matching or not."""
    # One statement, so that both parts see the same snapshot and the same bound: the newest
    # event below the bound, and the page joined to it (no newest event: no page either).
    page = _matching(session, after, account_id, types, limit).subquery()
    newest = (
        select(Event.tx, Event.id, Event.created_at)
        .where(*_below_bound(session, after))
        .order_by(Event.tx.desc(), Event.id.desc())
        .limit(1)
        .subquery()
    )
    event = aliased(Event, page)
    query = (
        select(newest.c.tx, newest.c.id, newest.c.created_at, event)
        .select_from(newest)
        .outerjoin(page, true())
        .order_by(page.c.tx, page.c.id)
    )
    rows = (await session.execute(query)).all()
    events = [row[3] for row in rows if row[3] is not None]
    if len(events) == limit:
        return Page(events, position_of(events[-1]))
    if not rows:
        return Page(events, after)
    tx, event_id, created_at, _ = rows[0]
    return Page(events, Position(tx, event_id, int(created_at.timestamp())))


def _matching(
    session: AsyncSession,
    after: Position | None,
    account_id: uuid.UUID | None,
    types: Sequence[str] | None,
    limit: int,
) -> Select[Event]:
    query = select(Event).where(*_below_bound(session, after))
    if account_id is not None:
        query = query.where(or_(Event.account_id.is_(None), Event.account_id == account_id))
    if types:
        query = query.where(Event.type.in_(types))
    return query.order_by(Event.tx, Event.id).limit(limit)


def _below_bound(session: AsyncSession, after: Position | None) -> list[ColumnElement[bool]]:
    """Conditions for the events after ``after`` that no late commit can precede (on SQLite:
    every event after it)."""
    conditions = []
    if after is not None:
        conditions.append(tuple_(Event.tx, Event.id) > tuple_(after.tx, after.id))
    if session.get_bind().dialect.name == "postgresql":
        oldest_running = cast(
            cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger
        )
        conditions.append(Event.tx < oldest_running)
    return conditions
