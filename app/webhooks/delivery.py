"""Delivery: claim due deliveries under a lease, send them, record every attempt, and apply the
retry and disable policy.

A claim sets ``leased_until`` and commits before any HTTP call, and the call runs outside every
transaction; a worker killed mid-send leaves a lease that simply runs out, and the delivery is
claimed again. Its ``webhook-id`` never changes, so a receiver drops the duplicate.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Counter

from app.db.engine import Database
from app.db.models import DeliveryStatus, WebhookAttempt
from app.settings import Settings
from app.webhooks import queue
from app.webhooks.sender import Message, Outcome, message, send

BATCH = 50  # deliveries claimed per pass, each of a different endpoint, sent concurrently
MAX_RETRY_AFTER = 24 * 3600.0  # a receiver may slow us down, but not park a delivery forever
LEASE_MARGIN = 10  # seconds a lease outlives the longest attempt (timeout) plus bookkeeping
GONE = 410

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


async def deliver_due(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Claim, send and record one batch of due deliveries; returns how many were attempted.

    ``now`` pins the clock of the claim and the records (tests); by default it is read at each
    step, so a retry is scheduled from the end of its attempt."""
    claims = await claim(db, now or datetime.now(UTC), lease_seconds(settings), limit)
    if not claims:
        return 0

    async def attempt(held: Claim) -> None:
        outcome = await send(
            http,
            held.url,
            held.secrets,
            held.message,
            time_limit=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private,
        )
        await record(db, held, outcome, settings, now or datetime.now(UTC))

    # Each claim is a different endpoint, so they go out together; a failure to record one
    # (its lease then runs out and it is retried) must not abandon the others.
    results = await asyncio.gather(*(attempt(held) for held in claims), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return len(claims)
