"""Use cases on webhook endpoints: register, list, read, delete, rotate the secret, re-enable;
and on their deliveries: list, inspect attempts, redeliver one, (re)deliver an event.

Every account manages only its own endpoints (admins included): another account's endpoint is
404, exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.idempotency import Idempotency, remember, replay
from app.webhooks import repository
from app.webhooks.errors import (
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    EventNotFound,
)
from app.webhooks.rules import may_see, subscribed
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointWithSecret,
)
from app.webhooks.sender import webhook_id
from app.webhooks.urls import check_url

PREVIOUS_SECRET_TTL = timedelta(hours=24)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_view(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(endpoint, from_attributes=True)


async def create_endpoint(
    db: Database,
    caller: Principal,
    body: EndpointCreate,
    idem: Idempotency | None,
    *,
    allow_private: bool,
) -> EndpointWithSecret:
    """Register an endpoint; its secret is in this answer and nowhere else. A replay of the
    same Idempotency-Key answers the endpoint with ``secret: null``: the stored answer never
    holds the secret."""
    await check_url(body.url, allow_private=allow_private)
    async with db.write() as session:
        if (stored := await replay(session, caller.account_id, idem)) is not None:
            endpoint_out = EndpointOut.model_validate_json(stored)
            return EndpointWithSecret(**endpoint_out.model_dump(), secret=None)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            account_id=caller.account_id,
            url=body.url,
            description=body.description,
            event_types=body.event_types,
            secret=secret,
            status=EndpointStatus.enabled,
            created_at=datetime.now(UTC),
        )
        await repository.add_endpoint(session, endpoint)
        view = endpoint_view(endpoint)
        remember(session, caller.account_id, idem, view.model_dump_json())
        await session.commit()
    return EndpointWithSecret(**view.model_dump(), secret=secret)


async def list_endpoints(
    db: Database, caller: Principal, before: uuid.UUID | None, limit: int
) -> tuple[list[EndpointOut], bool]:
    """The caller's endpoints, newest first, and whether more follow."""
    async with db.read() as session:
        rows = await repository.list_endpoints(session, caller.account_id, before, limit)
    return [endpoint_view(e) for e in rows[:limit]], len(rows) > limit


async def get_endpoint(db: Database, caller: Principal, endpoint_id: uuid.UUID) -> EndpointOut:
    async with db.read() as session:
        endpoint = await repository.get_endpoint(session, caller.account_id, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound
    return endpoint_view(endpoint)


async def delete_endpoint(db: Database, caller: Principal, endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint with its deliveries; nothing more is sent to it."""
    async with db.write() as session:
        if not await repository.delete_endpoint(session, caller.account_id, endpoint_id):
            raise EndpointNotFound
        await session.commit()


async def rotate_secret(
    db: Database, caller: Principal, endpoint_id: uuid.UUID
) -> EndpointWithSecret:
    """A new secret, shown once. The one it replaces keeps signing next to it for 24 hours
    (each delivery carries both signatures), so the receiver can switch without losing any."""
    secret, now = new_secret(), datetime.now(UTC)
    async with db.write() as session:
        endpoint = await repository.rotate_secret(
            session, caller.account_id, endpoint_id, secret, now + PREVIOUS_SECRET_TTL
        )
        if endpoint is None:
            raise EndpointNotFound
        view = endpoint_view(endpoint)
        await session.commit()
    return EndpointWithSecret(**view.model_dump(), secret=secret)


async def enable_endpoint(db: Database, caller: Principal, endpoint_id: uuid.UUID) -> EndpointOut:
    """Re-enable a disabled endpoint: its pending deliveries resume, in order."""
    async with db.write() as session:
        endpoint = await repository.enable_endpoint(session, caller.account_id, endpoint_id)
        if endpoint is None:
            raise EndpointNotFound
        view = endpoint_view(endpoint)
        await session.commit()
    return view


def delivery_view(delivery: WebhookDelivery, event_type: str) -> DeliveryOut:
    pending = delivery.status == DeliveryStatus.pending
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=event_type,
        webhook_id=webhook_id(delivery.event_id),
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if pending else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


async def list_deliveries(
    db: Database,
    caller: Principal,
    endpoint_id: uuid.UUID,
    *,
    status: DeliveryStatus | None,
    before: uuid.UUID | None,
    limit: int,
) -> tuple[list[DeliveryOut], bool]:
    """The endpoint's deliveries, newest first, and whether more follow."""
    async with db.read() as session:
        if await repository.get_endpoint(session, caller.account_id, endpoint_id) is None:
            raise EndpointNotFound
        rows = await repository.list_deliveries(session, endpoint_id, status, before, limit)
    return [delivery_view(d, t) for d, t in rows[:limit]], len(rows) > limit


async def list_attempts(
    db: Database,
    caller: Principal,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> tuple[list[AttemptOut], bool]:
    """Every HTTP attempt of one delivery, newest first, and whether more follow."""
    async with db.read() as session:
        if await repository.get_endpoint(session, caller.account_id, endpoint_id) is None:
            raise EndpointNotFound
        if await repository.get_delivery(session, endpoint_id, delivery_id) is None:
            raise DeliveryNotFound
        rows: Sequence[WebhookAttempt] = await repository.list_attempts(
            session, delivery_id, before, limit
        )
    views = [AttemptOut.model_validate(a, from_attributes=True) for a in rows[:limit]]
    return views, len(rows) > limit


async def _enabled_endpoint(
    session: AsyncSession, caller: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """The caller's own endpoint, which must be enabled to be sent anything again."""
    endpoint = await repository.get_endpoint(session, caller.account_id, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound
    if endpoint.status != EndpointStatus.enabled:
        raise EndpointDisabled("Enable the endpoint first (POST …/enable).")
    return endpoint


async def redeliver(
    db: Database, caller: Principal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send a delivery again as soon as the worker can, with a fresh retry schedule and the same
    ``webhook-id``. It still waits for the endpoint's earlier pending deliveries (order)."""
    async with db.write() as session:
        await _enabled_endpoint(session, caller, endpoint_id)
        if not await repository.reschedule(session, endpoint_id, delivery_id, datetime.now(UTC)):
            raise DeliveryNotFound
        row = await repository.get_delivery(session, endpoint_id, delivery_id)
        await session.commit()
    if row is None:  # not after the update above; this narrows the type
        raise DeliveryNotFound
    delivery, event_type = row
    return delivery_view(delivery, event_type)


async def redeliver_event(
    db: Database, caller: Principal, endpoint_id: uuid.UUID, event_id: int
) -> DeliveryOut:
    """Send an event to the endpoint (again) as soon as the worker can: its delivery is created,
    or re-armed with a fresh retry schedule, and carries the event's one ``webhook-id`` either
    way. Any event the endpoint may be sent (``rules``) qualifies, also one older than the
    endpoint; any other is ``event_not_found``, exactly like one that does not exist."""
    async with db.write() as session:
        endpoint = await _enabled_endpoint(session, caller, endpoint_id)
        event = await repository.get_event(session, event_id)
        # The endpoint is the caller's own, so its account's role is the caller's.
        if event is None or not (
            subscribed(endpoint, event.type) and may_see(endpoint, caller.role, event)
        ):
            raise EventNotFound
        delivery_id = await repository.arm_delivery(session, endpoint_id, event, datetime.now(UTC))
        row = await repository.get_delivery(session, endpoint_id, delivery_id)
        await session.commit()
    if row is None:  # not after the insert above; this narrows the type
        raise EventNotFound
    delivery, event_type = row
    return delivery_view(delivery, event_type)
