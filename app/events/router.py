"""``GET /v1/events``: the change feed, long-polled with ``wait``."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.accounts.auth import CurrentAccount
from app.db.base import utcnow
from app.db.models import Role
from app.deps import DbDep, SettingsDep
from app.errors import InvalidRequest, Unauthenticated, responses
from app.events import feed
from app.events.notify import notifier
from app.events.outbox import EVENT_TYPES
from app.ratelimit import LongPollGate, RateLimiter, ServerBusy, TooManyLongPolls

router = APIRouter(prefix="/v1", tags=["events"])
REPOLL_SECONDS = 0.25  # how soon a waiting reader sees events committed by other processes


class EventOut(BaseModel):
    """An immutable record of something that happened."""

    id: int = Field(description="Unique per event; use the cursor, not the id, to resume the feed.")
    type: str = Field(
        description="`group.created`, `group.tier_reached`, `order.created`, …",
        examples=["group.tier_reached"],
    )
    created_at: datetime
    data: dict[str, Any] = Field(
        description="What happened, by type: ids, quantities, prices (e.g. `group_id`, "
        "`order_id`, `unit_price`).",
        examples=[{"group_id": "0190f4e2-7c1a-7cc5-8a55-6b3fbd1f3c20", "min_quantity": 50}],
    )


class EventPage(BaseModel):
    """A page of the change feed."""

    data: list[EventOut] = Field(description="Events in feed order, oldest first.")
    next_cursor: str | None = Field(
        description="Where to continue (pass as `after`). Also given when `data` is empty, so a "
        "follower keeps its place; null only before the first event."
    )


class UnknownEventType(InvalidRequest):
    code, title = "unknown_event_type", "types names an event type that does not exist"


@router.get(
    "/events",
    summary="The change feed: events you may see, in order; long-poll with wait",
    responses=responses(
        Unauthenticated,
        UnknownEventType,
        feed.InvalidFeedCursor,
        feed.CursorExpired,
        TooManyLongPolls,
        ServerBusy,
    ),
)
async def list_events(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    caller: CurrentAccount,
    after: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of your last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500.")] = 100,
    types: Annotated[
        str | None,
        Query(max_length=1000, description="Comma-separated event types, e.g. `order.created`."),
    ] = None,
    wait: Annotated[
        int, Query(ge=0, le=30, description="Seconds to wait for an event if none is ready.")
    ] = 0,
) -> EventPage:
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else None
    unknown = sorted(set(wanted or ()) - set(EVENT_TYPES))
    if unknown:
        raise UnknownEventType(f"Unknown: {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}.")
    retention = timedelta(days=settings.event_retention_days)
    position = feed.decode(after, retention, utcnow())
    account = None if caller.role == Role.admin else caller.account_id

    async def page() -> feed.Page:
        async with db.read() as session:
            return await feed.read_page(
                session, after=position, account_id=account, types=wanted, limit=limit
            )

    found = await page()
    if not found.events and wait:
        limiter: RateLimiter = request.app.state.rate_limiter
        await limiter.check("long_poll", caller.key_id)
        gate: LongPollGate = request.app.state.long_polls
        async with gate.enter(caller.key_id):
            clock = asyncio.get_running_loop().time
            deadline = clock() + wait
            while not found.events and (left := deadline - clock()) > 0:
                await notifier.wait(min(left, REPOLL_SECONDS))
                found = await page()
    return EventPage(
        data=[
            EventOut(id=e.id, type=e.type, created_at=e.created_at, data=e.data)
            for e in found.events
        ],
        next_cursor=feed.encode(found.next) if found.next else None,
    )
