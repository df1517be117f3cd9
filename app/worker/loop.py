"""The worker loop. Any number may run against one PostgreSQL (due groups are claimed with
``FOR UPDATE SKIP LOCKED``); on SQLite the single writer serialises them. It sleeps while idle
and stops between two steps when asked (SIGTERM for ``pool worker``, the app's shutdown)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from app.closing.service import close_due
from app.db.engine import Database
from app.events.outbox import purge_events
from app.idempotency import purge_expired
from app.metrics import WORKER_ERRORS
from app.settings import Settings
from app.webhooks.delivery import deliver_due
from app.webhooks.fanout import fanout
from app.webhooks.sender import new_client

log = logging.getLogger("pool.worker")
BATCH = 100  # groups closed per pass before the loop checks whether to stop
PURGE_EVERY = 60.0
DELIVERY_SECONDS = 1.0  # how long one pass keeps sending due webhook deliveries


class Worker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.poll_seconds = settings.worker_poll_seconds
        self._last_purge = 0.0
        self._http: httpx.AsyncClient | None = None  # created on first use, closed by run()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started (polling every %.1f s)", self.poll_seconds)
        try:
            while not stop.is_set():
                busy = await self._guarded("close", self.close_due_groups)
                busy |= await self._guarded("webhooks", self.webhooks)
                if time.monotonic() - self._last_purge > PURGE_EVERY:
                    await self._guarded("purge", self.purge)
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        finally:
            await self.aclose()
        log.info("worker stopped")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _guarded(self, task: str, step: Callable[[], Awaitable[int]]) -> bool:
        try:
            return await step() > 0
        except Exception:  # a failed pass is logged and retried on the next one
            WORKER_ERRORS.labels(task).inc()
            log.exception("worker %s pass failed", task)
            return False

    async def close_due_groups(self) -> int:
        """Close due groups, one transaction each; returns how many (BATCH means maybe more)."""
        closed = 0
        while closed < BATCH:
            group_id = await close_due(self.db, datetime.now(UTC))
            if group_id is None:
                break
            log.info("closed group %s at its deadline", group_id)
            closed += 1
        return closed

    async def webhooks(self) -> int:
        """Fan new events out into deliveries, then send one batch of due deliveries; returns
        how much was done (more may be waiting)."""
        if self._http is None:
            self._http = new_client()
        done = await fanout(self.db)
        # An endpoint takes one delivery at a time (its order), so keep delivering for a while
        # rather than one per pass: a busy endpoint drains at the pace of its receiver.
        until = time.monotonic() + DELIVERY_SECONDS
        while time.monotonic() < until and (
            sent := await deliver_due(self.db, self._http, self.settings)
        ):
            done += sent
        return done

    async def purge(self) -> int:
        self._last_purge = time.monotonic()
        now = datetime.now(UTC)
        retention = timedelta(days=self.settings.event_retention_days)
        async with self.db.write() as session:
            keys = await purge_expired(session, now)
            events = await purge_events(session, now - retention)
            await session.commit()
        if keys or events:
            log.info("purged %d expired idempotency keys and %d old events", keys, events)
        return 0  # housekeeping never makes the loop skip its sleep
