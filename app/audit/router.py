from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.accounts.auth import CurrentAdmin
from app.audit import service
from app.deps import DbDep
from app.errors import Forbidden, Unauthenticated, responses
from app.pagination import CursorQuery, InvalidCursor, LimitQuery, decode_cursor, encode_cursor
from app.text import SafeStr

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    account_id: uuid.UUID
    key_id: uuid.UUID
    method: str
    route: str
    object_id: str | None
    status: int
    request_id: str


class AuditPage(BaseModel):
    data: list[AuditEntryOut]
    next_cursor: str | None


@router.get(
    "/audit",
    summary="Who did what: state-changing requests and their outcome, newest first (admin)",
    responses=responses(Unauthenticated, Forbidden, InvalidCursor),
)
async def list_audit(
    db: DbDep,
    _admin: CurrentAdmin,
    account_id: Annotated[uuid.UUID | None, Query(description="Only this account's.")] = None,
    object_id: Annotated[
        Annotated[str, SafeStr(max_length=64)] | None, Query(description="Only on this object.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> AuditPage:
    rows = await service.list_entries(
        db,
        account_id=account_id,
        object_id=object_id,
        before=decode_cursor(cursor),
        limit=limit + 1,
    )
    page = [AuditEntryOut.model_validate(row) for row in rows[:limit]]
    return AuditPage(
        data=page, next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None
    )
