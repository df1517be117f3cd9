"""The live group stream: Server-Sent Events of a group's public state.

One ``group`` event at connect and one whenever the group's ``version`` (or status) changes; a
comment line every ``HEARTBEAT_SECONDS`` keeps proxies from closing an idle connection and finds
clients that went away. After the group leaves ``open`` its final state is sent and the stream
ends. Commits of this process wake the streams at once (``app.events.notify``); commits of other
processes are seen by a cheap re-check every ``REPOLL_SECONDS``.

Streams are capped per client address and per process, end after ``MAX_STREAM_SECONDS`` (an
``EventSource`` reconnects by itself and gets the current state), and end within one re-check
once the server is asked to stop, so they never hold up a graceful shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.db.engine import Database
from app.db.models import GroupStatus
from app.errors import AppError
from app.events.notify import notifier
from app.ratelimit import ServerBusy
from app.web import service

log = logging.getLogger("pool.web")

REPOLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
MAX_STREAM_SECONDS = 600.0
RETRY_MILLISECONDS = 2000  # how soon an EventSource reconnects after the stream ends
RETRY = {"Retry-After": "1"}


class TooManyStreams(AppError):
    status, code, title = 429, "too_many_streams", "Too many streams open from this address"


class StreamGate:
    """Caps the streams held open: per client address and per process."""

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client, self.total = per_client, total
        self._open: Counter[str] = Counter()

    def take(self, client: str) -> Callable[[], None]:
        """Count one more stream of ``client`` (refused when full); returns its release, which
        may be called more than once."""
        if self._open.total() >= self.total:
            raise ServerBusy("Too many streams are open; retry in a moment.", headers=RETRY)
        if self._open[client] >= self.per_client:
            raise TooManyStreams(
                f"At most {self.per_client} streams per address; close one first.", headers=RETRY
            )
        self._open[client] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[client] -= 1
                if self._open[client] <= 0:
                    del self._open[client]

        return release


class EventStream(StreamingResponse):
    """``text/event-stream`` that gives its place at the gate back however it ends."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(content, headers=headers)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def server_stopping() -> bool:
    """Whether the server was asked to stop. While uvicorn serves, its ``Server.handle_exit`` is
    the SIGTERM handler and sets ``should_exit`` on a signal; the server then waits for open
    requests to finish before the app's shutdown, so streams must notice it themselves."""
    handler = signal.getsignal(signal.SIGTERM)
    return bool(getattr(getattr(handler, "__self__", None), "should_exit", False))


def sse(data: dict[str, object], version: int) -> str:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {version}\nevent: group\ndata: {body}\n\n"


async def group_events(
    request: Request, db: Database, group_id: uuid.UUID, first: service.PublicGroup
) -> AsyncIterator[str]:
    """The stream's body, from the state already read (``first``)."""
    clock = asyncio.get_running_loop().time
    ends = clock() + MAX_STREAM_SECONDS
    yield f"retry: {RETRY_MILLISECONDS}\n" + sse(first.data, first.state.version)
    last, beat = first.state, clock() + HEARTBEAT_SECONDS
    try:
        while last.status == GroupStatus.open and clock() < ends:
            await notifier.wait(min(REPOLL_SECONDS, max(0.0, beat - clock())))
            if server_stopping() or await request.is_disconnected():
                return
            if await service.group_state(db, group_id) != last:
                current = await service.public_group(db, group_id)
                if current is None:
                    return
                last, beat = current.state, clock() + HEARTBEAT_SECONDS
                yield sse(current.data, current.state.version)
            elif clock() >= beat:
                beat = clock() + HEARTBEAT_SECONDS
                yield ": heartbeat\n\n"
    except DBAPIError as exc:  # the database went away: end; the client reconnects later
        log.warning("group stream ended by a database error: %s", type(exc).__name__)
