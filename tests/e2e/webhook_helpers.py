"""A real webhook receiver on 127.0.0.1 and small factories for the webhook tests.

The receiver is a stdlib ``asyncio`` HTTP/1.1 server bound to port 0. Answers can be scripted per
``webhook-id``; like a careful application it acts on each ``webhook-id`` once (``processed``),
however often it is delivered. It can also leave its first requests unanswered (``hang``), as a
receiver does whose sender dies mid-request.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.db.engine import Database
from app.db.models import Event, WebhookDelivery, WebhookEndpoint, WorkerCursor
from app.settings import Settings
from app.webhooks.delivery import deliver_due
from app.webhooks.fanout import CURSOR, fanout
from tests.helpers import ADMIN_KEY, auth

REASONS = {200: "OK", 410: "Gone", 429: "Too Many Requests", 500: "Error", 503: "Unavailable"}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it was read

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    requests: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    succeeded: list[Received] = field(default_factory=list)
    script: dict[str, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    default: Answer = field(default_factory=Answer)
    hold: asyncio.Event | None = None  # when set up, requests wait for it before any answer
    delay: float = 0.0  # seconds each answer takes, so that concurrent senders overlap
    hang: int = 0  # the first ``hang`` requests get no answer; held until the sender goes away
    connections: int = 0  # TCP connections accepted, requests or not
    most_at_once: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per path
    url: str = ""
    _at_once: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _server: asyncio.Server | None = None
    _hung: list[asyncio.StreamWriter] = field(default_factory=list)

    def answer(self, webhook_id: str, *answers: Answer) -> None:
        """Answer the next requests carrying ``webhook_id`` so, in order; then the default."""
        self.script[webhook_id].extend(answers)

    @property
    def arrivals(self) -> list[str]:
        return [r.webhook_id for r in self.requests]

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        """Listen on 127.0.0.1 (over TLS with ``tls``, a server context)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=tls)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/hooks"

    async def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        for writer in self._hung:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            path = head[0].split(" ")[1]
            headers = {}
            for line in head[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(path, headers, body)
            self.requests.append(received)
            if len(self.requests) <= self.hang:
                self._hung.append(writer)
                await reader.read()  # until the sender closes the connection (or dies)
                return
            self._at_once[path] += 1
            self.most_at_once[path] = max(self.most_at_once[path], self._at_once[path])
            if self.hold is not None:
                await self.hold.wait()
            await asyncio.sleep(self.delay)
            self._at_once[path] -= 1
            queued = self.script.get(received.webhook_id)
            answer = queued.pop(0) if queued else self.default
            if 200 <= answer.status < 300:
                self.succeeded.append(received)
                if received.webhook_id not in self.processed:
                    self.processed.append(received.webhook_id)
            extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
            reason = REASONS.get(answer.status, "Status")
            writer.write(
                f"HTTP/1.1 {answer.status} {reason}\r\ncontent-length: 2\r\n"
                f"connection: close\r\n{extra}\r\nok".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the sender gave up (a timeout test): nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def catch_up(db: Database, seconds: float = 30) -> int:
    """Fan out every event committed so far; returns how many events were read.

    On PostgreSQL the fan-out only reads below the oldest transaction running anywhere in the
    cluster, so a long transaction of another program delays it: wait for that, don't fail."""
    async with db.read() as session:
        last = (
            await session.execute(
                select(Event.tx, Event.id).order_by(Event.tx.desc(), Event.id.desc()).limit(1)
            )
        ).one_or_none()
    read, deadline = 0, time.monotonic() + seconds
    while last is not None:
        read += await fanout(db)
        async with db.read() as session:
            cursor = await session.get(WorkerCursor, CURSOR)
        if cursor is not None and (cursor.tx, cursor.event_id) >= tuple(last):
            break
        assert time.monotonic() < deadline, "the fan-out did not reach the last event"
        await asyncio.sleep(0.05)
    return read


async def drain(db: Database, http: httpx.AsyncClient, settings: Settings, passes: int = 30) -> int:
    """Fan out, then send until nothing is due; returns the delivery passes that sent something."""
    await catch_up(db)
    for done in range(passes):
        if await deliver_due(db, http, settings) == 0:
            return done
    raise AssertionError(f"deliveries were still due after {passes} passes")


async def create_endpoint(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, types: list[str] | None = None
) -> dict[str, Any]:
    body = {"url": url, "event_types": types or ["group.created"], "description": "test"}
    response = await client.post("/v1/webhook-endpoints", json=body, headers=headers)
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    return endpoint


async def open_campaign(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """A campaign: it emits ``group.created`` (public) and ``offer.created``."""
    body = {
        "title": "Trail bike",
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "offer": {"currency": "EUR", "tiers": [{"min_quantity": 10, "unit_price": 1000}]},
    }
    response = await client.post("/v1/groups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def manufacturer(client: httpx.AsyncClient) -> dict[str, str]:
    """A new manufacturer's auth headers."""
    body = {"role": "manufacturer", "name": "Acme"}
    response = await client.post("/v1/accounts", json=body, headers=auth(ADMIN_KEY))
    assert response.status_code == 201, response.text
    return auth(response.json()["api_key"])


async def one_delivery(db: Database) -> WebhookDelivery:
    async with db.read() as session:
        return (await session.scalars(select(WebhookDelivery))).one()


async def endpoint_row(db: Database, endpoint_id: str) -> WebhookEndpoint:
    async with db.read() as session:
        query = select(WebhookEndpoint).where(WebhookEndpoint.id == uuid.UUID(endpoint_id))
        return (await session.scalars(query)).one()


async def deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], endpoint_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data
