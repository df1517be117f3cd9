"""The public group pages (``/g``, ``/g/{id}``) and the live group stream. None needs a key and
none shows who pledged: they render ``app.web.service``'s public views only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from app.deps import DbDep
from app.errors import responses as problems
from app.groups.errors import GroupNotFound
from app.groups.router import GroupId
from app.groups.schemas import GroupOut
from app.pagination import CursorQuery, decode_cursor, encode_cursor
from app.ratelimit import RateLimited, RateLimiter, ServerBusy
from app.web import service
from app.web.stream import EventStream, StreamGate, TooManyStreams, group_events
from app.web.templating import STATIC_DIR, templates

router = APIRouter()
static = StaticFiles(directory=STATIC_DIR)
PAGE_SIZE = 24
STREAM_EXAMPLE = (
    "retry: 2000\nid: 7\nevent: group\n"
    'data: {"id":"0190f0c4-…","status":"open","total_quantity":38,"current_unit_price":800,…}'
    "\n\n: heartbeat\n\n"
)


def _live_schema() -> dict[str, Any]:
    """The JSON of a ``group`` event: ``GroupOut`` without ``is_owner``."""
    schema = GroupOut.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schema.pop("$defs", None)
    schema["title"] = "GroupLive"
    schema["properties"].pop("is_owner")
    schema["required"] = [name for name in schema["required"] if name != "is_owner"]
    return schema


# Each event of the stream (OpenAPI 3.1: the media type's schema describes one event).
EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["group"]},
        "id": {"type": "string", "description": "The group's version."},
        "retry": {"type": "integer", "minimum": 0, "description": "Reconnect delay (ms)."},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": _live_schema(),
        },
    },
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _count(request: Request, budget: str) -> None:
    """Anonymous requests spend the rate budget of their client address."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(budget, uuid.uuid5(uuid.NAMESPACE_URL, f"address:{_client(request)}"))


def _gate(request: Request) -> StreamGate:
    """This app's stream cap: ``POOL_LONG_POLLS_MAX`` streams, a quarter of them per address."""
    state = request.app.state
    gate: StreamGate | None = getattr(state, "group_streams", None)
    if gate is None:
        total = state.settings.long_polls_max
        gate = state.group_streams = StreamGate(max(1, total // 4), total)
    return gate


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/g")


@router.get("/g", include_in_schema=False, response_class=HTMLResponse)
async def group_index(request: Request, db: DbDep, cursor: CursorQuery = None) -> Response:
    await _count(request, "read")
    groups, more = await service.open_groups(db, decode_cursor(cursor), PAGE_SIZE)
    following = encode_cursor(uuid.UUID(groups[-1].data["id"])) if more else None
    context = {"groups": groups, "next_cursor": following, "now": datetime.now(UTC)}
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/g/{group_id}", include_in_schema=False, response_class=HTMLResponse)
async def group_page(request: Request, db: DbDep, group_id: str) -> Response:
    """A link may carry a consumer's key as ``#key=…``: a fragment, which browsers never send,
    so no access log records it; the page's script reads it. The query string is never read."""
    await _count(request, "read")
    try:
        found = await service.public_group(db, uuid.UUID(group_id))
    except ValueError:
        found = None
    if found is None:
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    context = {"group": found.data, "state": found.state, "now": datetime.now(UTC)}
    return templates.TemplateResponse(request, "group.html", context)


@router.get(
    "/v1/groups/{group_id}/stream",
    tags=["groups"],
    summary="Follow one group live: Server-Sent Events of its public state (no key needed)",
    description=(
        "A `text/event-stream`. An event `group` carries the group's live JSON (the fields of "
        "`GET /v1/groups/{group_id}` without `is_owner`) at connect and whenever the group "
        "changes (its `id:` is the group's version); a `: heartbeat` comment follows every 15 s "
        "of quiet. Once the group is no longer `open` its final state is sent and the stream "
        "ends. The server also ends a stream after 10 minutes; reconnect (an `EventSource` "
        "does so by itself) and you get the current state. Streams are capped per client "
        "address (429 `too_many_streams`) and per server process (503 `server_busy`); "
        "connecting counts against the address's rate budget (429 `rate_limited`)."
    ),
    response_class=EventStream,
    status_code=200,
    responses={
        200: {
            "description": "The stream of `group` events.",
            "content": {"text/event-stream": {"schema": EVENT, "example": STREAM_EXAMPLE}},
        },
        **problems(GroupNotFound, TooManyStreams, RateLimited, ServerBusy),
    },
)
async def stream_group(request: Request, db: DbDep, group_id: GroupId) -> EventStream:
    await _count(request, "long_poll")
    first = await service.public_group(db, group_id)
    if first is None:
        raise GroupNotFound
    release = _gate(request).take(_client(request))
    return EventStream(group_events(request, db, group_id, first), release)
