"""SQL of the delivery queue: the fan-out cursor, claims under a lease, recording outcomes.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so workers never wait on each other; SQLite
has a single writer, which serialises them and ignores the clause.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    Account,
    DeliveryStatus,
    EndpointStatus,
    Event,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WorkerCursor,
)


def insert_into(session: AsyncSession, table: Any) -> Any:
    """An INSERT of the session's dialect, which has ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def claim_cursor(session: AsyncSession, name: str) -> WorkerCursor | None:
    """The named cursor, locked for this transaction; None while another worker holds it."""
    query = (
        select(WorkerCursor)
        .where(WorkerCursor.name == name)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    cursor = (await session.scalars(query)).one_or_none()
    if cursor is not None:
        return cursor
    created = await session.execute(
        insert_into(session, WorkerCursor)
        .values(name=name, tx=0, event_id=0)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(WorkerCursor.name)
    )
    if created.scalar_one_or_none() is None:
        return None  # it exists, so another worker holds it
    return (await session.scalars(query)).one()


async def enabled_endpoints(session: AsyncSession) -> Sequence[Row[WebhookEndpoint, Role]]:
    query = (
        select(WebhookEndpoint, Account.role)
        .join(Account, Account.id == WebhookEndpoint.account_id)
        .where(WebhookEndpoint.status == EndpointStatus.enabled)
    )
    return (await session.execute(query)).all()


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries; one that exists already (same endpoint and event) is left as it is."""
    if rows:
        statement = insert_into(session, WebhookDelivery).on_conflict_do_nothing(
            index_elements=["endpoint_id", "event_id"]
        )
        await session.execute(statement, rows)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Row[WebhookDelivery, WebhookEndpoint, Event]]:
    """Due deliveries that head their endpoint's queue, locked for this transaction.

    Only the earliest pending delivery of an endpoint (in feed order) may be claimed, so an
    endpoint receives its events in order and one at a time; one whose lease has run out (its
    worker died) is due again. Each endpoint's head is one lookup in the queue index, so a long
    backlog costs nothing extra."""
    head = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.endpoint_id == WebhookEndpoint.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .order_by(WebhookDelivery.event_tx, WebhookDelivery.event_id)
        .limit(1)
        .correlate(WebhookEndpoint)
        .scalar_subquery()
    )
    query = (
        select(WebhookDelivery, WebhookEndpoint, Event)
        .select_from(WebhookEndpoint)
        .join(WebhookDelivery, WebhookDelivery.id == head)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(
            WebhookEndpoint.status == EndpointStatus.enabled,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until <= now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return (await session.execute(query)).all()


async def lease(session: AsyncSession, ids: Sequence[uuid.UUID], until: datetime) -> None:
    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(leased_until=until)
    )


async def lock_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    """The delivery, locked (so its endpoint cannot be deleted under us); None if deleted."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def add_attempt(session: AsyncSession, attempt: WebhookAttempt) -> None:
    session.add(attempt)
    await session.flush()


async def endpoint_succeeded(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def endpoint_failed(
    session: AsyncSession, endpoint_id: uuid.UUID, now: datetime, limit: timedelta
) -> bool:
    """Note a failure: start the endpoint's failing period unless one runs, and disable the
    endpoint once that period has lasted ``limit``. True if this call disabled it."""
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now)
    )
    reason = f"every attempt failed for {int(limit.total_seconds())} s or more"
    disabled = await session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.status == EndpointStatus.enabled,
            WebhookEndpoint.failing_since <= now - limit,
        )
        .values(status=EndpointStatus.disabled, disabled_reason=reason)
        .returning(WebhookEndpoint.id)
    )
    return disabled.scalar_one_or_none() is not None


async def disable_endpoint(session: AsyncSession, endpoint_id: uuid.UUID, reason: str) -> bool:
    disabled = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.status == EndpointStatus.enabled)
        .values(status=EndpointStatus.disabled, disabled_reason=reason)
        .returning(WebhookEndpoint.id)
    )
    return disabled.scalar_one_or_none() is not None


async def advance_cursor(session: AsyncSession, name: str, tx: int, event_id: int) -> None:
    await session.execute(
        update(WorkerCursor).where(WorkerCursor.name == name).values(tx=tx, event_id=event_id)
    )
