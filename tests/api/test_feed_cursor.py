"""Feed cursors expire only when the reader may have missed a purged event.

The cursor moves over every event the server looked at, matching the reader's filters or not: a
reader who keeps reading a rare type (or sees little of the feed) keeps its place past the
retention. Events are written here with old ``created_at`` and the feed's clock is moved forward.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import app.events.router as events_router
from app.db.engine import Database
from app.db.models import Event
from app.events import feed
from app.events.outbox import NewEvent, emit, purge_events
from app.settings import Settings
from tests.api.feed_helpers import follow
from tests.helpers import ADMIN_KEY, MakeAccount, auth

NOW = datetime.now(UTC)


def day(n: float) -> datetime:
    return NOW + timedelta(days=n)


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the time the feed reads its clock at (expiry and the date of new cursors)."""

    def set_to(when: datetime) -> None:
        monkeypatch.setattr(events_router, "utcnow", lambda: when)

    return set_to


async def write(db: Database, *events: NewEvent) -> None:
    async with db.write() as session:
        await emit(session, *events)
        await session.commit()


async def served(client: httpx.AsyncClient, count: int) -> None:
    """Until the feed serves all ``count`` events (on PostgreSQL other transactions still running
    on the server hold the newest back a moment)."""
    events, _ = await follow(client, auth(ADMIN_KEY), expect=count)
    assert len(events) == count


def event(kind: str, at: datetime, account_id: str | None = None) -> NewEvent:
    owner = uuid.UUID(account_id) if account_id else None
    return NewEvent(kind, {"n": kind}, account_id=owner, created_at=at)


async def read(
    client: httpx.AsyncClient, headers: dict[str, str], after: str | None, **params: Any
) -> httpx.Response:
    query = {**params, **({"after": after} if after else {})}
    return await client.get("/v1/events", params=query, headers=headers)


async def test_a_reader_of_a_rare_type_keeps_its_place_past_the_retention(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    settings: Settings,
    set_clock: Callable[[datetime], None],
) -> None:
    assert settings.event_retention_days == 30
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    await write(
        db,
        event("order.created", day(-29), maker["id"]),
        event("group.created", day(-20)),  # public, another type
        event("intent.created", day(-1), ada["id"]),  # private to someone else
    )
    await served(client, 3)
    set_clock(NOW)
    first = await read(client, maker["headers"], None, types="order.created")
    assert [e["type"] for e in first.json()["data"]] == ["order.created"]

    set_clock(day(5))  # the order it received is 34 days old; nothing it could see came since
    later = await read(client, maker["headers"], first.json()["next_cursor"], types="order.created")
    assert later.status_code == 200, later.text
    assert later.json()["data"] == []

    await write(db, event("group.created", day(20)), event("intent.created", day(25), ada["id"]))
    await served(client, 5)
    set_clock(day(26))
    again = await read(client, maker["headers"], later.json()["next_cursor"], types="order.created")
    assert again.status_code == 200, again.text
    assert again.json()["data"] == []

    set_clock(day(50))  # 50 days after the order it received, 25 after the last event it passed
    await write(db, event("order.created", day(50), maker["id"]))
    cursor = again.json()["next_cursor"]
    found = await read(client, maker["headers"], cursor, types="order.created", wait=5)
    assert found.status_code == 200, found.text
    assert [e["type"] for e in found.json()["data"]] == ["order.created"]


async def test_a_cursor_expires_when_events_after_it_were_purged(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    set_clock: Callable[[datetime], None],
) -> None:
    maker = await make_account("manufacturer")
    await write(db, event("group.created", day(-1)))
    await served(client, 1)
    set_clock(NOW)
    first = await read(client, maker["headers"], None, types="order.created")
    assert first.json()["data"] == []
    cursor = first.json()["next_cursor"]
    assert cursor is not None  # placed past what it scanned, though nothing matched

    await write(db, event("order.created", day(1), maker["id"]))  # it never read this one
    async with db.write() as session:
        purged = await purge_events(session, day(40) - timedelta(days=30))
        await session.commit()
    assert purged == 2
    set_clock(day(40))
    gone = await read(client, maker["headers"], cursor, types="order.created")
    assert gone.status_code == 410
    assert gone.json()["code"] == "cursor_expired"


async def test_a_full_page_continues_after_its_last_event(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str]
) -> None:
    await write(db, *(event("group.created", day(-1)) for _ in range(3)))
    await write(db, event("offer.created", day(-1)))
    await served(client, 4)
    first = await read(client, admin_headers, None, types="group.created", limit=2)
    assert len(first.json()["data"]) == 2
    rest = await read(client, admin_headers, first.json()["next_cursor"], types="group.created")
    assert len(rest.json()["data"]) == 1
    assert rest.json()["data"][0]["id"] > first.json()["data"][-1]["id"]


async def test_the_cursor_never_passes_a_write_still_running(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str]
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time")
    async with db.write() as late:
        await emit(late, event("order.created", NOW))  # its transaction stays open meanwhile
        await write(db, event("group.created", NOW))  # a later transaction, committed first
        before = await read(client, admin_headers, None, types="order.created")
        assert before.json()["data"] == []
        cursor = before.json()["next_cursor"]
        await late.commit()
    position = feed.decode(cursor, timedelta(days=30), NOW) if cursor else None
    async with db.read() as session:
        tx = await session.scalar(select(Event.tx).where(Event.type == "order.created"))
    assert tx is not None
    assert position is None or position.tx < tx
    after = await read(client, admin_headers, cursor, types="order.created", wait=5)
    assert [e["type"] for e in after.json()["data"]] == ["order.created"]


async def test_a_cursor_takes_positions_in_the_whole_bigint_range(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    far = feed.encode(feed.Position(2**40, 2**62, int(NOW.timestamp())))
    response = await read(client, admin_headers, far)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "next_cursor": far}
