"""Delivery: claim due deliveries under a lease, send them, record every attempt, and apply the
retry and disable policy.

A claim sets ``leased_until`` and commits before any HTTP call, and the call runs outside every
transaction; a worker killed mid-send leaves a lease that simply runs out, and the delivery is
claimed again. Its ``webhook-id`` never changes, so a receiver drops the duplicate.

The worker runs a ``Dispatcher``: every claimed delivery is sent in a task of its own, so a slow
receiver holds up only its own endpoint (whose head stays leased until the attempt is recorded,
and a leased head is never claimed), never the other endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Counter

from app.db.engine import Database
from app.db.models import DeliveryStatus, WebhookAttempt
from app.metrics import WORKER_ERRORS
from app.settings import Settings
from app.webhooks import queue
from app.webhooks.sender import Message, Outcome, message, send

BATCH = 50  # deliveries claimed per pass, each of a different endpoint, sent concurrently
MAX_RETRY_AFTER = 24 * 3600.0  # a receiver may slow us down, but not park a delivery forever
LEASE_MARGIN = 10  # seconds a lease outlives the longest attempt (timeout) plus bookkeeping
GONE = 410

log = logging.getLogger("pool.webhooks")

DELIVERIES_CREATED = Counter("pool_webhook_deliveries_created_total", "Deliveries fanned out")
ATTEMPTS = Counter("pool_webhook_attempts_total", "Delivery attempts", ["outcome"])
FINISHED = Counter("pool_webhook_deliveries_finished_total", "Deliveries done", ["status"])
DISABLED = Counter("pool_webhook_endpoints_disabled_total", "Endpoints disabled", ["reason"])


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds until ``leased_until``, with what it needs to send it."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    message: Message
    leased_until: datetime


def lease_seconds(settings: Settings) -> float:
    # A lease shorter than an attempt would let a second worker send while the first still is.
    return max(settings.webhook_lease_seconds, settings.webhook_timeout_seconds + LEASE_MARGIN)


async def claim(db: Database, now: datetime, lease: float, limit: int = BATCH) -> list[Claim]:
    """Lease the due deliveries that head their endpoint's queue; committed before returning."""
    until = now + timedelta(seconds=lease)
    async with db.write() as session:
        rows = await queue.claim_due(session, now, limit)
        if not rows:
            return []
        await queue.lease(session, [delivery.id for delivery, _, _ in rows], until)
        await session.commit()
    claims = []
    for delivery, endpoint, event in rows:
        secrets = [endpoint.secret]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and expires > now:
            secrets.append(endpoint.previous_secret)
        msg = message(event.id, event.type, event.created_at, event.data)
        claims.append(Claim(delivery.id, endpoint.id, endpoint.url, tuple(secrets), msg, until))
    return claims


def retry_delay(
    failed_attempts: int, schedule: Sequence[int], retry_after: float | None
) -> float | None:
    """Seconds until the next try after ``failed_attempts`` failures in a row; None: give up.

    The schedule gives the gaps between attempts, with ±10 % jitter so that deliveries that
    failed together do not all come back at once; a receiver's Retry-After can only lengthen
    the gap (capped at a day)."""
    if failed_attempts > len(schedule):
        return None
    delay = schedule[failed_attempts - 1] * random.uniform(0.9, 1.1)  # noqa: S311  (jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


async def record(
    db: Database, claim: Claim, outcome: Outcome, settings: Settings, now: datetime
) -> None:
    """Store the attempt and move the delivery and its endpoint on, in one transaction."""
    async with db.write() as session:
        delivery = await queue.lock_delivery(session, claim.delivery_id)
        if delivery is None:
            return  # the endpoint was deleted while we were sending
        await queue.add_attempt(
            session,
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.response_excerpt,
            ),
        )
        if delivery.leased_until != claim.leased_until:
            # Our lease ran out and another worker took the delivery over: its outcome counts.
            await session.commit()
            return
        delivery.attempts += 1
        delivery.leased_until = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.succeeded:
            ATTEMPTS.labels("success").inc()
            delivery.status, delivery.delivered_at = DeliveryStatus.succeeded, now
            await queue.endpoint_succeeded(session, claim.endpoint_id)
        elif outcome.status_code == GONE:
            ATTEMPTS.labels("gone").inc()
            delivery.status = DeliveryStatus.failed
            if await queue.disable_endpoint(session, claim.endpoint_id, "answered 410 Gone"):
                DISABLED.labels("gone").inc()
        else:
            ATTEMPTS.labels("failure").inc()
            delay = retry_delay(
                delivery.attempts, settings.webhook_retry_schedule, outcome.retry_after
            )
            if delay is None:
                delivery.status = DeliveryStatus.failed
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay)
            limit = timedelta(seconds=settings.webhook_disable_after_seconds)
            if await queue.endpoint_failed(session, claim.endpoint_id, now, limit):
                DISABLED.labels("failing").inc()
        if delivery.status != DeliveryStatus.pending:
            FINISHED.labels(delivery.status.value).inc()
        await session.commit()


async def attempt(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    held: Claim,
    now: datetime | None = None,
) -> None:
    """Send one claimed delivery (outside any transaction) and record what came of it."""
    outcome = await send(
        http,
        held.url,
        held.secrets,
        held.message,
        time_limit=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private,
    )
    await record(db, held, outcome, settings, now or datetime.now(UTC))


async def deliver_due(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Claim, send and record one batch of due deliveries, waiting for all of them; returns how
    many were attempted.

    ``now`` pins the clock of the claim and the records (tests); by default it is read at each
    step, so a retry is scheduled from the end of its attempt."""
    claims = await claim(db, now or datetime.now(UTC), lease_seconds(settings), limit)
    if not claims:
        return 0
    # Each claim is a different endpoint, so they go out together; a failure to record one
    # (its lease then runs out and it is retried) must not abandon the others.
    results = await asyncio.gather(
        *(attempt(db, http, settings, held, now) for held in claims), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return len(claims)


class Dispatcher:
    """Sends due deliveries without waiting for a batch: each claimed delivery goes out in a task
    of its own, and the next claim only needs room (at most ``most`` attempts in flight). An
    endpoint still gets one delivery at a time, in feed order: its head stays leased until its
    attempt is recorded, and ``claim`` takes only unleased heads."""

    def __init__(
        self, db: Database, http: httpx.AsyncClient, settings: Settings, most: int = BATCH
    ) -> None:
        self.db = db
        self.http = http
        self.settings = settings
        self.most = most
        self.running: set[asyncio.Task[None]] = set()

    async def dispatch(self) -> int:
        """Claim what is due, as far as there is room, and start sending it; how many started."""
        room = self.most - len(self.running)
        if room <= 0:
            return 0
        claims = await claim(self.db, datetime.now(UTC), lease_seconds(self.settings), room)
        for held in claims:
            task = asyncio.create_task(attempt(self.db, self.http, self.settings, held))
            self.running.add(task)
            task.add_done_callback(self._finished)
        return len(claims)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:  # not recorded: its lease runs out and it is claimed again
            WORKER_ERRORS.labels("webhooks").inc()
            log.error("webhook delivery attempt failed", exc_info=error)

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until an attempt ends (its endpoint's next delivery may then be due), ``stop`` is
        set, or ``seconds`` pass."""
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait(
                {stopping, *self.running}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()

    async def finish(self, grace: float) -> None:
        """Give the attempts in flight ``grace`` seconds to end, then cancel the rest: their
        leases run out and they are sent again later, with the same ``webhook-id``."""
        if not self.running:
            return
        _, late = await asyncio.wait(set(self.running), timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
