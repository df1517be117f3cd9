"""One HTTP attempt of a delivery, signed per Standard Webhooks, and what came of it.

No transaction is open while this runs: the delivery is held by its lease alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from app.webhooks.pinning import PinnedTransport, pin
from app.webhooks.urls import WebhookUrlNotAllowed, check_url

USER_AGENT = "Pool-Webhooks/1.0"
EXCERPT_CHARS = 500
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class Message:
    """What is sent: the same ``webhook-id`` and body on every attempt."""

    webhook_id: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    response_excerpt: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait (429/503 only)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def webhook_id(event_id: int) -> str:
    """The ``webhook-id`` of an event's deliveries: the same on every attempt and redelivery."""
    return f"evt_{event_id}"


def message(event_id: int, event_type: str, created_at: datetime, data: dict[str, Any]) -> Message:
    timestamp = created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {"type": event_type, "timestamp": timestamp, "data": {**data, "event_id": event_id}}
    return Message(webhook_id(event_id), json.dumps(body, separators=(",", ":")))


def signed_headers(secrets: Sequence[str], msg: Message, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; one ``v1,`` signature per live secret, so a receiver holding
    either the new or the previous secret during a rotation verifies."""
    signatures = " ".join(Webhook(secret).sign(msg.webhook_id, at, msg.body) for secret in secrets)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def new_client() -> httpx.AsyncClient:
    """The worker's HTTP client. It connects only to the addresses ``send`` checked (see
    ``pinning``). Redirects are not followed: a 3xx is a failed attempt, and a redirect could
    otherwise lead past the URL checks to a private address."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    return httpx.AsyncClient(
        transport=PinnedTransport(limits),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header (delay seconds or an HTTP-date) as seconds from ``now``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def _excerpt(response: httpx.Response) -> str:
    """The start of the body: enough to debug with, without reading a huge answer."""
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= EXCERPT_CHARS * 4:
            break
    # PostgreSQL text cannot hold NUL, and a receiver may answer anything.
    return read.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT_CHARS]


async def send(
    http: httpx.AsyncClient,
    url: str,
    secrets: Sequence[str],
    msg: Message,
    *,
    time_limit: float,
    allow_private: bool,
) -> Outcome:
    """POST the message once; never raises for anything the receiver or the network does."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        # One budget for the name lookup and the whole exchange, not per network read.
        async with asyncio.timeout(time_limit):
            addresses = await check_url(url, allow_private=allow_private)
            now = datetime.now(UTC)
            headers = signed_headers(secrets, msg, now)
            # Connect to the addresses just checked: a second lookup could answer otherwise.
            with pin(url, addresses):
                async with http.stream(
                    "POST", url, content=msg.body, headers=headers, timeout=time_limit
                ) as response:
                    excerpt = await _excerpt(response)
                    wait = None
                    if response.status_code in RETRY_AFTER_STATUSES:
                        wait = retry_after_seconds(response.headers.get("retry-after"), now)
                    return Outcome(response.status_code, None, elapsed(), excerpt, wait)
    except WebhookUrlNotAllowed as exc:
        return Outcome(None, f"refused: {exc.detail}"[:500], elapsed())
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, f"timed out after {time_limit:g} s", elapsed())
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
