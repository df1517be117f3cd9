"""The worker's housekeeping: expired idempotency keys and events past the retention go."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import Event, IdempotencyKey
from app.settings import Settings
from app.worker.loop import Worker
from tests.api.feed_helpers import campaign
from tests.helpers import MakeAccount


async def test_purge_drops_only_what_is_past_its_time(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    await campaign(client, maker["headers"] | {"Idempotency-Key": "old"})
    await campaign(client, maker["headers"] | {"Idempotency-Key": "fresh"})
    long_ago = datetime.now(UTC) - timedelta(days=settings.event_retention_days + 1)
    async with db.write() as session:  # age one key and two events past their time
        await session.execute(
            update(IdempotencyKey).where(IdempotencyKey.key == "old").values(expires_at=long_ago)
        )
        oldest = await session.scalar(select(func.min(Event.id)))
        await session.execute(
            update(Event).where(Event.id <= (oldest or 0) + 1).values(created_at=long_ago)
        )
        await session.commit()

    await Worker(db, settings).purge()

    async with db.read() as session:
        keys = (await session.scalars(select(IdempotencyKey.key))).all()
        events = await session.scalar(select(func.count()).select_from(Event))
    assert keys == ["fresh"]
    assert events == 2  # the second campaign's group.created and offer.created
