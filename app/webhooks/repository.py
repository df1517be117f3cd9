"""SQL of webhook endpoints, deliveries and attempts as their owners see them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.ids import new_id
from app.webhooks.queue import insert_into


async def add_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    await session.flush()


async def get_endpoint(
    session: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account_id
    )
    return (await session.scalars(query)).one_or_none()


async def list_endpoints(
    session: AsyncSession, account_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> Sequence[WebhookEndpoint]:
    """Newest first, ``limit + 1`` rows so the caller can tell whether more follow."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account_id)
        .order_by(WebhookEndpoint.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(WebhookEndpoint.id < before)
    return (await session.scalars(query)).all()


async def delete_endpoint(
    session: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID
) -> bool:
    """Delete it with its deliveries and attempts (ON DELETE CASCADE); False if none was."""
    result = await session.execute(
        delete(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account_id)
        .returning(WebhookEndpoint.id)
    )
    return result.scalar_one_or_none() is not None


async def rotate_secret(
    session: AsyncSession,
    account_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    secret: str,
    previous_until: datetime,
) -> WebhookEndpoint | None:
    """Make ``secret`` current and keep the current one signing until ``previous_until``.

    One UPDATE: the right-hand ``secret`` is the row's old value, so two rotations at once each
    keep the secret they replaced, never a secret nobody was shown."""
    query = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account_id)
        .values(
            previous_secret=WebhookEndpoint.secret,
            previous_secret_expires_at=previous_until,
            secret=secret,
        )
        .returning(WebhookEndpoint)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def enable_endpoint(
    session: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    query = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account_id)
        .values(status=EndpointStatus.enabled, disabled_reason=None, failing_since=None)
        .returning(WebhookEndpoint)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    status: DeliveryStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Row[WebhookDelivery, str]]:
    """(delivery, event type), newest first, ``limit + 1`` rows."""
    query = (
        select(WebhookDelivery, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return (await session.execute(query)).all()


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Row[WebhookDelivery, str] | None:
    query = (
        select(WebhookDelivery, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).one_or_none()


async def list_attempts(
    session: AsyncSession, delivery_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> Sequence[WebhookAttempt]:
    """Newest first, ``limit + 1`` rows."""
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(WebhookAttempt.id < before)
    return (await session.scalars(query)).all()


async def reschedule(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID, now: datetime
) -> bool:
    """Make the delivery pending now with a fresh retry schedule. A lease held by a worker
    sending it right now is kept, so it is never sent twice at once."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
        .values(
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            delivered_at=None,
        )
        .returning(WebhookDelivery.id)
    )
    return result.scalar_one_or_none() is not None


async def get_event(session: AsyncSession, event_id: int) -> Event | None:
    return (await session.scalars(select(Event).where(Event.id == event_id))).one_or_none()


async def arm_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, event: Event, now: datetime
) -> uuid.UUID:
    """Make the event's delivery to the endpoint pending now with a fresh retry schedule: a new
    one, or the existing one (its history kept), in one statement, so two calls at once end in
    one delivery. As in ``reschedule``, a lease held by a worker sending it now is kept."""
    again = {"status": DeliveryStatus.pending, "attempts": 0, "next_attempt_at": now}
    statement = (
        insert_into(session, WebhookDelivery)
        .values(
            id=new_id(),
            endpoint_id=endpoint_id,
            event_id=event.id,
            event_tx=event.tx,
            created_at=now,
            **again,
        )
        .on_conflict_do_update(
            index_elements=["endpoint_id", "event_id"], set_={**again, "delivered_at": None}
        )
        .returning(WebhookDelivery.id)
    )
    delivery_id: uuid.UUID = (await session.execute(statement)).scalar_one()
    return delivery_id
