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

# Sent with the page and with a 304 alike, so that a poller always knows the tag and the pace.
POLL_HEADERS = {
    "ETag": {
        "description": "A strong entity tag of this page (for this caller and query): send it "
        "back in `If-None-Match` to get a 304 while nothing on the page changed.",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[^"]*"$'},
        "example": '"9b2f6c0e4d1a8b7c3e5f0a2d6c8b1e4f"',
    },
    "X-Poll-Interval": {
        "description": "Seconds to wait before polling again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "example": 5,
    },
}


@router.get(
    "/demand",
    response_model=DemandPage,
    summary="Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)",
    description=(
        "The open groups a manufacturer may bid on (requests) or owns (campaigns), newest first "
        "(an admin sees every open group), each with its pooled volume, participants, deadline "
        "and demand curve. Cheap to poll: every 200 and 304 carries an `ETag` and an "
        "`X-Poll-Interval`. Send the `ETag` back as it came in `If-None-Match` (one tag or "
        "several, comma-separated): while nothing on the page changed, the answer is a 304 "
        "without a body. Poll no more often than every `X-Poll-Interval` seconds."
    ),
    responses={
        **responses(Unauthenticated, Forbidden, InvalidCursor),
        200: {"headers": POLL_HEADERS},
        304: {
            "description": "Unchanged since the ETag you sent in If-None-Match.",
            "headers": POLL_HEADERS,
        },
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
