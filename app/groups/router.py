"""HTTP routes of groups, offers and intents: parse, authorize, call one use case, render."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from app.accounts.auth import CurrentAccount, CurrentConsumer, CurrentManufacturer, require
from app.accounts.service import Principal
from app.db.models import GroupKind, GroupStatus, IntentStatus, Role
from app.deps import DbDep, SettingsDep
from app.errors import Forbidden, Unauthenticated, responses
from app.groups import intents, service
from app.groups.errors import (
    CampaignTakesNoBids,
    CurrencyMismatch,
    GroupNotFound,
    GroupNotOpen,
    IntentNotActive,
    IntentNotFound,
    InvalidDeadline,
    InvalidTiers,
    LimitRequired,
    MaxQuantityExceeded,
    OfferNotAllowed,
    OfferRequired,
    QuantityTooLarge,
    TooManyIntents,
)
from app.groups.schemas import GroupCreate, GroupOut, IntentCreate, IntentOut, OfferIn, OfferOut
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
from app.text import SafeStr

router = APIRouter(prefix="/v1", tags=["groups"])
AUTH = (Unauthenticated, Forbidden)
IDEMPOTENT = (IdempotencyKeyReused, IdempotencyInFlight)


def _path_id(error: type[GroupNotFound] | type[IntentNotFound]):  # type: ignore[no-untyped-def]
    def parse(raw: str) -> uuid.UUID:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise error from None

    return parse


# `async def` so that FastAPI does not hop to its thread pool for them.
async def _group_id(
    group_id: Annotated[str, Path(description="The group's id (a UUID).")],
) -> uuid.UUID:
    return _path_id(GroupNotFound)(group_id)  # type: ignore[no-any-return]


async def _intent_id(
    intent_id: Annotated[str, Path(description="The intent's id (a UUID).")],
) -> uuid.UUID:
    return _path_id(IntentNotFound)(intent_id)  # type: ignore[no-any-return]


GroupId = Annotated[uuid.UUID, Depends(_group_id)]
IntentId = Annotated[uuid.UUID, Depends(_intent_id)]
GroupCreator = Annotated[Principal, require(Role.manufacturer, Role.consumer)]


@router.post(
    "/groups",
    status_code=status.HTTP_201_CREATED,
    summary="Open a group: a manufacturer's campaign (with its offer) or a consumer's request",
    responses=responses(
        *AUTH,
        *IDEMPOTENT,
        InvalidTiers,
        CurrencyMismatch,
        InvalidDeadline,
        OfferRequired,
        OfferNotAllowed,
    ),
)
async def create_group(
    body: GroupCreate,
    db: DbDep,
    settings: SettingsDep,
    caller: GroupCreator,
    key: IdempotencyHeader = None,
) -> GroupOut:
    idem = idempotency(key, "create_group", body, settings.idempotency_ttl_seconds)
    return await service.create_group(db, caller, body, idem, settings.max_deadline_days)


@router.get(
    "/groups",
    summary="Groups with their live pricing, newest first",
    responses=responses(*AUTH, InvalidCursor),
)
async def list_groups(
    db: DbDep,
    caller: CurrentAccount,
    status: Annotated[GroupStatus | None, Query(description="Only groups in this status.")] = None,
    kind: Annotated[GroupKind | None, Query(description="campaign or request.")] = None,
    category: Annotated[
        Annotated[str, SafeStr(max_length=64)] | None, Query(description="Only this category.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[GroupOut]:
    views, more = await service.list_groups(
        db,
        caller,
        status=status,
        kind=kind,
        category=category,
        before=decode_cursor(cursor),
        limit=limit,
    )
    # The service already cut the page to `limit` rows and says whether more follow.
    return Page(data=views, next_cursor=encode_cursor(views[-1].id) if more else None)


@router.get(
    "/groups/{group_id}",
    summary="One group with its live pricing",
    responses=responses(*AUTH, GroupNotFound),
)
async def get_group(db: DbDep, caller: CurrentAccount, group_id: GroupId) -> GroupOut:
    return await service.get_group(db, caller, group_id)


@router.post(
    "/groups/{group_id}/offers",
    status_code=status.HTTP_201_CREATED,
    summary="Bid on an open request (replaces your earlier bid on it)",
    responses=responses(
        *AUTH,
        *IDEMPOTENT,
        GroupNotFound,
        GroupNotOpen,
        CampaignTakesNoBids,
        InvalidTiers,
        CurrencyMismatch,
    ),
)
async def create_offer(
    body: OfferIn,
    db: DbDep,
    settings: SettingsDep,
    caller: CurrentManufacturer,
    group_id: GroupId,
    key: IdempotencyHeader = None,
) -> OfferOut:
    idem = idempotency(key, f"create_offer {group_id}", body, settings.idempotency_ttl_seconds)
    return await service.add_offer(db, caller, group_id, body, idem)


@router.get(
    "/groups/{group_id}/offers",
    summary="The group's live offers (a manufacturer sees only its own on others' groups)",
    responses=responses(*AUTH, GroupNotFound, InvalidCursor),
)
async def list_offers(
    db: DbDep,
    caller: CurrentAccount,
    group_id: GroupId,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[OfferOut]:
    views, more = await service.list_offers(
        db, caller, group_id, after=decode_cursor(cursor), limit=limit
    )
    return Page(data=views, next_cursor=encode_cursor(views[-1].id) if more else None)


@router.post(
    "/groups/{group_id}/intents",
    status_code=status.HTTP_201_CREATED,
    summary="Join a group: pledge a quantity at most a unit price",
    tags=["intents"],
    responses=responses(
        *AUTH,
        *IDEMPOTENT,
        GroupNotFound,
        GroupNotOpen,
        MaxQuantityExceeded,
        QuantityTooLarge,
        LimitRequired,
        TooManyIntents,
    ),
)
async def create_intent(
    body: IntentCreate,
    db: DbDep,
    settings: SettingsDep,
    caller: CurrentConsumer,
    group_id: GroupId,
    key: IdempotencyHeader = None,
) -> IntentOut:
    idem = idempotency(key, f"create_intent {group_id}", body, settings.idempotency_ttl_seconds)
    return await intents.join(db, caller, group_id, body, idem, settings.max_intents_per_consumer)


@router.get(
    "/intents",
    summary="Your own intents, newest first",
    tags=["intents"],
    responses=responses(*AUTH, InvalidCursor),
)
async def list_intents(
    db: DbDep,
    caller: CurrentConsumer,
    group_id: Annotated[uuid.UUID | None, Query(description="Only intents in this group.")] = None,
    status: Annotated[
        IntentStatus | None, Query(description="Only intents in this status.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[IntentOut]:
    views, more = await intents.list_intents(
        db, caller, group_id=group_id, status=status, before=decode_cursor(cursor), limit=limit
    )
    return Page(data=views, next_cursor=encode_cursor(views[-1].id) if more else None)


@router.post(
    "/intents/{intent_id}/withdraw",
    summary="Withdraw your intent while its group is open (repeating it is harmless)",
    tags=["intents"],
    responses=responses(*AUTH, IntentNotFound, IntentNotActive, GroupNotOpen),
)
async def withdraw_intent(db: DbDep, caller: CurrentConsumer, intent_id: IntentId) -> IntentOut:
    return await intents.withdraw(db, caller, intent_id)
