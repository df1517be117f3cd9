"""The worker: two independent loops, one closing due groups (and purging), one delivering
webhooks, so that neither a slow receiver nor a long batch of closes holds up the other.

Any number of workers may run against one PostgreSQL (due groups and deliveries are claimed with
``FOR UPDATE SKIP LOCKED``); on SQLite the single writer serialises them. Each loop sleeps while
idle and stops between two steps when asked (SIGTERM for ``pool worker``, the app's shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from app.closing import service as closing
from app.db.engine import Database
from app.events.outbox import purge_events
from app.idempotency import purge_expired
from app.metrics import WORKER_ERRORS
from app.settings import Settings
from app.webhooks.delivery import Dispatcher, deliver_due
from app.webhooks.fanout import fanout
from app.webhooks.sender import new_client

log = logging.getLogger("pool.worker")
BATCH = 100  # closes tried per pass before the loop looks at its clock again
PURGE_EVERY = 60.0
DELIVERY_SECONDS = 1.0  # how long one hand-driven ``webhooks()`` pass keeps sending
SHUTDOWN_GRACE = 5.0  # seconds webhook attempts in flight get to end when the worker stops


@dataclass
class Backoff:
    """Groups whose close failed, and when each may be tried again: the gap doubles with every
    failure in a row, from ``first`` up to ``most`` seconds. Kept in memory: a failed close was
    rolled back, so nothing of it needs to outlive the process (another worker just tries)."""

    first: float = 5.0
    most: float = 600.0
    _failed: dict[uuid.UUID, tuple[int, float]] = field(default_factory=dict)

    def waiting(self, now: float) -> list[uuid.UUID]:
        """The groups not to try before a later ``now`` (monotonic seconds)."""
        # An entry long past its retry time is a group closed elsewhere or fixed: forget it.
        stale = [g for g, (_, at) in self._failed.items() if at < now - self.most]
        for group_id in stale:
            del self._failed[group_id]
        return [g for g, (_, at) in self._failed.items() if at > now]

    def failed(self, group_id: uuid.UUID, now: float) -> float:
        """Note a failure; returns the seconds until the group may be tried again."""
        count = self._failed.get(group_id, (0, 0.0))[0] + 1
        delay = min(self.first * 2.0 ** (count - 1), self.most)
        self._failed[group_id] = (count, now + delay)
        return delay

    def succeeded(self, group_id: uuid.UUID) -> None:
        self._failed.pop(group_id, None)


class Worker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.poll_seconds = settings.worker_poll_seconds
        self.backoff = Backoff()
        self.shutdown_grace = SHUTDOWN_GRACE
        self._last_purge = 0.0
        self._http: httpx.AsyncClient | None = None  # created on first use, closed by run()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started (polling every %.1f s)", self.poll_seconds)
        try:
            async with asyncio.TaskGroup() as loops:
                loops.create_task(self._closing(stop), name="pool-worker-closes")
                loops.create_task(self._delivering(stop), name="pool-worker-webhooks")
        finally:
            await self.aclose()
        log.info("worker stopped")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _closing(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            busy = await self._guarded("close", lambda: self.close_due_groups(stop))
            if time.monotonic() - self._last_purge > PURGE_EVERY:
                await self._guarded("purge", self.purge)
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)

    async def _delivering(self, stop: asyncio.Event) -> None:
        dispatcher = Dispatcher(self.db, self._client(), self.settings)

        async def step() -> int:
            return await fanout(self.db) + await dispatcher.dispatch()

        try:
            while not stop.is_set():
                if not await self._guarded("webhooks", step):
                    await dispatcher.wait(stop, self.poll_seconds)
        finally:
            await dispatcher.finish(self.shutdown_grace)

    async def _guarded(self, task: str, step: Callable[[], Awaitable[int]]) -> bool:
        try:
            return await step() > 0
        except Exception:  # a failed pass is logged and retried on the next one
            WORKER_ERRORS.labels(task).inc()
            log.exception("worker %s pass failed", task)
            return False

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = new_client()
        return self._http

    async def close_due_groups(self, stop: asyncio.Event | None = None) -> int:
        """Close due groups, one transaction each, until none is left, BATCH were tried or
        ``stop`` is set; returns how many were tried (BATCH means maybe more).

        A group whose close fails is logged and backs off (see ``Backoff``) while the others
        are closed; it is tried again once its gap has passed."""
        tried = 0
        while tried < BATCH and not (stop is not None and stop.is_set()):
            skip = self.backoff.waiting(time.monotonic())
            try:
                group_id = await closing.close_due(self.db, datetime.now(UTC), skip)
            except closing.CloseFailed as failed:
                tried += 1
                delay = self.backoff.failed(failed.group_id, time.monotonic())
                WORKER_ERRORS.labels("close").inc()
                log.exception("%s; next try in %.0f s", failed, delay)
                continue
            if group_id is None:
                break
            tried += 1
            self.backoff.succeeded(group_id)
            log.info("closed group %s at its deadline", group_id)
        return tried

    async def webhooks(self) -> int:
        """Fan new events out into deliveries, then send due deliveries batch by batch for up
        to DELIVERY_SECONDS, waiting for each batch; returns how much was done. The delivery
        loop's work driven by hand (tests); ``run`` uses a ``Dispatcher`` instead."""
        done = await fanout(self.db)
        until = time.monotonic() + DELIVERY_SECONDS
        while time.monotonic() < until and (
            sent := await deliver_due(self.db, self._client(), self.settings)
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
