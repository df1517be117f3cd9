from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from app.accounts.auth import CurrentManufacturerOrAdmin
from app.demand import service
from app.demand.schemas import DemandPage
from app.deps import DbDep, SettingsDep
from app.errors import Forbidden, Unauthenticated, responses
from app.pagination import CursorQuery, InvalidCursor, LimitQuery, decode_cursor
from app.text import SafeStr

router = APIRouter(prefix="/v1", tags=["demand"])


@router.get(
    "/demand",
    response_model=DemandPage,
    summary="Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)",
    responses={
        **responses(Unauthenticated, Forbidden, InvalidCursor),
        304: {"description": "Unchanged since the ETag you sent in If-None-Match."},
    },
)
async def get_demand(
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    caller: CurrentManufacturerOrAdmin,
    category: Annotated[
        Annotated[str, SafeStr(max_length=64)] | None, Query(description="Only this category.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> DemandPage | Response:
    before = decode_cursor(cursor)
    tag = await service.etag(db, caller, category, before, limit)
    headers = {"ETag": tag, "X-Poll-Interval": str(settings.demand_poll_seconds)}
    if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return await service.demand(db, caller, category, before, limit)
