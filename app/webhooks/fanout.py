"""Fan-out: turn each committed event into one delivery per endpoint that wants it.

The events are read in feed order ``(tx, id)`` after a cursor kept in ``worker_cursors``, through
the same reader as ``GET /v1/events`` (on PostgreSQL only transactions older than every running
one, so a late commit is never skipped). The cursor row is locked ``SKIP LOCKED``: one worker fans
out at a time, and the deliveries and the cursor's advance commit together, so a crash between
the two loses or repeats nothing (a repeat would also be stopped by the unique
(endpoint, event) index).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.db.engine import Database
from app.db.models import DeliveryStatus, Event, Role, WebhookEndpoint
from app.events import feed
from app.ids import new_id
from app.webhooks import queue
from app.webhooks.delivery import DELIVERIES_CREATED
from app.webhooks.rules import may_see, subscribed

CURSOR = "webhooks"
BATCH = 500  # events per pass; the worker comes straight back while there are more


def wants(endpoint: WebhookEndpoint, role: Role, event: Event) -> bool:
    """Whether ``endpoint`` receives ``event``: one it may be sent (``rules``) that happened
    after the endpoint was created (a new endpoint is not flooded with history)."""
    if event.created_at < endpoint.created_at:
        return False
    return subscribed(endpoint, event.type) and may_see(endpoint, role, event)


def deliveries_for(
    events: Sequence[Event], endpoints: Sequence[tuple[WebhookEndpoint, Role]], now: datetime
) -> list[dict[str, Any]]:
    pairs = [
        (endpoint, event)
        for event in events
        for endpoint, role in endpoints
        if wants(endpoint, role, event)
    ]
    # UUIDv7s of one millisecond are in random order; sorted, they list in feed order.
    ids = sorted(new_id() for _ in pairs)
    return [
        {
            "id": delivery_id,
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "event_tx": event.tx,
            "status": DeliveryStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for delivery_id, (endpoint, event) in zip(ids, pairs, strict=True)
    ]


async def fanout(db: Database, *, batch: int = BATCH) -> int:
    """Create the deliveries of the next events after the cursor; returns how many events were
    read (0 when caught up or while another worker holds the cursor)."""
    async with db.write() as session:
        cursor = await queue.claim_cursor(session, CURSOR)
        if cursor is None:
            return 0
        after = feed.Position(cursor.tx, cursor.event_id, 0)
        events = await feed.read(session, after=after, account_id=None, types=None, limit=batch)
        if not events:
            await session.commit()  # keeps a freshly created cursor row
            return 0
        endpoints = [(endpoint, role) for endpoint, role in await queue.enabled_endpoints(session)]
        rows = deliveries_for(events, endpoints, datetime.now(UTC))
        await queue.add_deliveries(session, rows)
        last = events[-1]
        await queue.advance_cursor(session, CURSOR, last.tx, last.id)
        await session.commit()
    DELIVERIES_CREATED.inc(len(rows))
    return len(events)
