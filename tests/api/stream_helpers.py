"""An httpx transport that streams an in-process ASGI app's response as it is sent (httpx's own
``ASGITransport`` buffers the whole body, so it cannot read an endless event stream), and a
reader of Server-Sent Events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

END = b""


class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: asyncio.Queue[bytes], app: asyncio.Task[None], gone: asyncio.Event):
        self.chunks, self.app, self.gone = chunks, app, gone

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.chunks.get()) != END:
            yield chunk

    async def aclose(self) -> None:
        """The client hangs up: the app sees ``http.disconnect`` and must end promptly."""
        self.gone.set()
        try:
            await asyncio.wait_for(self.app, 5)
        except TimeoutError:
            raise AssertionError("the app did not end its stream after the disconnect") from None


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: Any) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": ("127.0.0.1", 4321),
            "root_path": "",
        }
        chunks: asyncio.Queue[bytes] = asyncio.Queue()
        started: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        gone, sent = asyncio.Event(), False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    await chunks.put(message["body"])
                if not message.get("more_body", False):
                    await chunks.put(END)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            finally:
                if not started.done():
                    started.set_exception(AssertionError("the app sent no response"))
                await chunks.put(END)

        task = asyncio.create_task(run())
        start = await started
        return httpx.Response(
            start["status"], headers=start.get("headers", []), stream=_Body(chunks, task, gone)
        )


@dataclass
class Event:
    event: str
    data: str
    id: str | None

    def json(self) -> Any:
        return json.loads(self.data)


class EventReader:
    """Reads events (and heartbeat comments, as ``event == "comment"``) from a streamed response."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self, within: float = 10) -> Event | None:
        """The next event or comment; None when the stream has ended."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Event | None:
        fields: dict[str, list[str]] = {}
        async for line in self.lines:
            if line == "":
                if fields:
                    return Event(
                        fields.get("event", ["message"])[-1],
                        "\n".join(fields.get("data", [])),
                        fields.get("id", [None])[-1],
                    )
                continue
            if line.startswith(":"):
                return Event("comment", line[1:].strip(), None)
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        return None

    async def next_group(self, within: float = 10) -> dict[str, Any] | None:
        """The next ``group`` event's JSON (skipping comments); None when the stream ended."""
        while (event := await self.next(within)) is not None:
            if event.event == "group":
                data: dict[str, Any] = event.json()
                return data
        return None


@contextlib.asynccontextmanager
async def streaming_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = StreamingASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as client:
        yield client
