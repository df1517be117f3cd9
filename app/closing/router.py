from __future__ import annotations

from fastapi import APIRouter

from app.accounts.auth import CurrentAccount
from app.closing import service
from app.closing.errors import GroupAlreadyClosed, GroupCancelled, NotGroupOwner, NotInGroup
from app.closing.schemas import ClearingOut
from app.deps import DbDep
from app.errors import Unauthenticated, responses
from app.groups.errors import GroupNotFound
from app.groups.router import GroupId
from app.groups.schemas import GroupOut

router = APIRouter(prefix="/v1/groups", tags=["groups"])


@router.post(
    "/{group_id}/close",
    summary="Close now: one clearing, one order (owner or admin; repeating returns the same)",
    responses=responses(Unauthenticated, NotGroupOwner, GroupNotFound, GroupCancelled),
)
async def close_group(db: DbDep, caller: CurrentAccount, group_id: GroupId) -> ClearingOut:
    return await service.close(db, caller, group_id)


@router.post(
    "/{group_id}/cancel",
    summary="Cancel an open group; its intents are released (owner or admin; idempotent)",
    responses=responses(Unauthenticated, NotGroupOwner, GroupNotFound, GroupAlreadyClosed),
)
async def cancel_group(db: DbDep, caller: CurrentAccount, group_id: GroupId) -> GroupOut:
    return await service.cancel(db, caller, group_id)


@router.get(
    "/{group_id}/clearing",
    summary="The clearing: price, accepted volume, winner, order; a consumer also sees its intents",
    responses=responses(Unauthenticated, NotInGroup, GroupNotFound),
)
async def get_clearing(db: DbDep, caller: CurrentAccount, group_id: GroupId) -> ClearingOut:
    return await service.get_clearing(db, caller, group_id)
