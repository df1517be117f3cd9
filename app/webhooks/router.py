"""HTTP routes of webhook endpoints and their deliveries: parse, authorize, call one use case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.accounts.auth import CurrentManufacturerOrAdmin
from app.db.models import DeliveryStatus
from app.deps import DbDep, SettingsDep
from app.errors import AppError, Forbidden, Unauthenticated, responses
from app.idempotency import (
    IdempotencyHeader,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    idempotency,
)
from app.pagination import (
    CursorQuery,
    InvalidCursor,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
)
from app.webhooks import service
from app.webhooks.errors import (
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    EventNotFound,
    WebhookUrlNotAllowed,
)
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointWithSecret,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])
AUTH = (Unauthenticated, Forbidden)
Caller = CurrentManufacturerOrAdmin


def _uuid(raw: str, error: type[AppError]) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise error from None


def _endpoint_id(
    endpoint_id: Annotated[str, Path(description="The webhook endpoint's id (a UUID).")],
) -> uuid.UUID:
    return _uuid(endpoint_id, EndpointNotFound)


def _delivery_id(
    delivery_id: Annotated[str, Path(description="The delivery's id (a UUID).")],
) -> uuid.UUID:
    return _uuid(delivery_id, DeliveryNotFound)


def _event_id(
    event_id: Annotated[
        str, Path(description="The event's id: `id` in the feed, `event_id` of a delivery.")
    ],
) -> int:
    # Anything that cannot be an event's id (a BIGINT above 0) is simply not found.
    if not (event_id.isascii() and event_id.isdigit()) or not 0 < int(event_id) < 2**63:
        raise EventNotFound
    return int(event_id)


EndpointId = Annotated[uuid.UUID, Depends(_endpoint_id)]
DeliveryId = Annotated[uuid.UUID, Depends(_delivery_id)]
EventId = Annotated[int, Depends(_event_id)]


def _page(
    views: list[EndpointOut] | list[DeliveryOut] | list[AttemptOut], more: bool
) -> str | None:
    return encode_cursor(views[-1].id) if more else None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook endpoint; the answer shows its signing secret, once",
    responses=responses(*AUTH, IdempotencyKeyReused, IdempotencyInFlight, WebhookUrlNotAllowed),
)
async def create_webhook_endpoint(
    body: EndpointCreate,
    db: DbDep,
    settings: SettingsDep,
    caller: Caller,
    key: IdempotencyHeader = None,
) -> EndpointWithSecret:
    idem = idempotency(key, "create_webhook_endpoint", body, settings.idempotency_ttl_seconds)
    return await service.create_endpoint(
        db, caller, body, idem, allow_private=settings.webhook_allow_private
    )


@router.get(
    "",
    summary="Your webhook endpoints, newest first (never their secrets)",
    responses=responses(*AUTH, InvalidCursor),
)
async def list_webhook_endpoints(
    db: DbDep, caller: Caller, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[EndpointOut]:
    views, more = await service.list_endpoints(db, caller, decode_cursor(cursor), limit)
    return Page(data=views, next_cursor=_page(views, more))


@router.get(
    "/{endpoint_id}",
    summary="One of your webhook endpoints (never its secret)",
    responses=responses(*AUTH, EndpointNotFound),
)
async def get_webhook_endpoint(db: DbDep, caller: Caller, endpoint_id: EndpointId) -> EndpointOut:
    return await service.get_endpoint(db, caller, endpoint_id)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint and its delivery history",
    responses=responses(*AUTH, EndpointNotFound),
)
async def delete_webhook_endpoint(db: DbDep, caller: Caller, endpoint_id: EndpointId) -> Response:
    await service.delete_endpoint(db, caller, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/rotate-secret",
    summary="Replace the signing secret (shown once); the old one also signs for 24 hours",
    responses=responses(*AUTH, EndpointNotFound),
)
async def rotate_webhook_secret(
    db: DbDep, caller: Caller, endpoint_id: EndpointId
) -> EndpointWithSecret:
    return await service.rotate_secret(db, caller, endpoint_id)


@router.post(
    "/{endpoint_id}/enable",
    summary="Re-enable a disabled endpoint; its pending deliveries resume in order",
    responses=responses(*AUTH, EndpointNotFound),
)
async def enable_webhook_endpoint(
    db: DbDep, caller: Caller, endpoint_id: EndpointId
) -> EndpointOut:
    return await service.enable_endpoint(db, caller, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    summary="The endpoint's deliveries, newest first, with their status and attempt count",
    responses=responses(*AUTH, EndpointNotFound, InvalidCursor),
)
async def list_webhook_deliveries(
    db: DbDep,
    caller: Caller,
    endpoint_id: EndpointId,
    status: Annotated[
        DeliveryStatus | None, Query(description="Only deliveries in this status.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DeliveryOut]:
    views, more = await service.list_deliveries(
        db, caller, endpoint_id, status=status, before=decode_cursor(cursor), limit=limit
    )
    return Page(data=views, next_cursor=_page(views, more))


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}/attempts",
    summary="Every HTTP attempt of one delivery, newest first",
    responses=responses(*AUTH, EndpointNotFound, DeliveryNotFound, InvalidCursor),
)
async def list_webhook_attempts(
    db: DbDep,
    caller: Caller,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AttemptOut]:
    views, more = await service.list_attempts(
        db, caller, endpoint_id, delivery_id, before=decode_cursor(cursor), limit=limit
    )
    return Page(data=views, next_cursor=_page(views, more))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again, now, with the same webhook-id",
    responses=responses(*AUTH, EndpointNotFound, DeliveryNotFound, EndpointDisabled),
)
async def redeliver_webhook(
    db: DbDep, caller: Caller, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> DeliveryOut:
    return await service.redeliver(db, caller, endpoint_id, delivery_id)


@router.post(
    "/{endpoint_id}/events/{event_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send an event to the endpoint (again), now, with the event's one webhook-id",
    description="Creates the event's delivery to the endpoint, or re-arms the existing one with a "
    "fresh retry schedule. The event must be one the endpoint may be sent: of a type it "
    "subscribed to, and one its account may see in the feed (public events and the account's "
    "own; admins all), older than the endpoint or not. Any other event is `event_not_found`.",
    responses=responses(*AUTH, EndpointNotFound, EventNotFound, EndpointDisabled),
)
async def redeliver_webhook_event(
    db: DbDep, caller: Caller, endpoint_id: EndpointId, event_id: EventId
) -> DeliveryOut:
    return await service.redeliver_event(db, caller, endpoint_id, event_id)
