"""A ``requests`` session whose requests reach the in-process app on the test session's loop.

Schemathesis speaks ``requests``; its own ASGI client runs the app on a loop of its own, where the
session app's database pool (bound to pytest-asyncio's session loop) cannot be used. This adapter
calls the ASGI app itself on that session loop instead (the contract tests are synchronous, so
the loop is idle while they run), so they drive the very app and database the rest of the suite
uses. An event stream is cut after its first event (the client then disconnects, as a browser
would), like schemathesis' own ASGI client does; and no request may take more than
``MAX_SECONDS``: a hang fails its test instead of the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import requests.adapters
import urllib3
from schemathesis.core.transport import STREAM_CUT_SHORT_ATTRIBUTE

BASE_URL = "http://pool.test"
MAX_STREAM_EVENTS = 1
MAX_SECONDS = 15.0


class _Headers:
    """The ``msg`` of an ``http.client`` response, as far as ``requests`` reads it (cookies)."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found or default


class _Original:
    """The ``http.client`` response behind a ``urllib3`` one, as far as ``requests`` uses it."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.msg = _Headers(headers)
        self.closed = False

    def isclosed(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class _Answer:
    """What the app sent back."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.body = bytearray()
        self.stream = False
        self.cut_short = False
        self.complete = asyncio.Event()


async def call_app(app: Any, request: requests.PreparedRequest) -> _Answer:
    """One HTTP request through the ASGI app, on the running loop."""
    parts = urlsplit(str(request.url))
    body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
    headers = [(b"host", (parts.netloc or "pool.test").encode())]
    headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": parts.scheme or "http",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "root_path": "",
        "query_string": parts.query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": (parts.hostname or "pool.test", parts.port or 80),
        "state": {},
    }
    answer = _Answer()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}
        await answer.complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
            ]
            kind = next((v for k, v in answer.headers if k.lower() == "content-type"), "")
            answer.stream = kind.startswith("text/event-stream")
        elif message["type"] == "http.response.body" and not answer.complete.is_set():
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                answer.complete.set()
            elif answer.stream and answer.body.count(b"\n\n") >= MAX_STREAM_EVENTS:
                answer.cut_short = True
                answer.complete.set()  # and the client goes away

    task = asyncio.ensure_future(app(scope, receive, send))
    done = asyncio.ensure_future(answer.complete.wait())
    await asyncio.wait({task, done}, timeout=MAX_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # an exception the app did not turn into a response
    elif answer.complete.is_set():
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)  # it sees the disconnect and ends
    else:
        task.cancel()
        done.cancel()
        raise TimeoutError(f"{request.method} {request.url} took more than {MAX_SECONDS} s")
    done.cancel()
    return answer


class LoopAdapter(requests.adapters.HTTPAdapter):
    """Sends every request to ``app`` on ``loop`` instead of over the network."""

    def __init__(self, loop: asyncio.AbstractEventLoop, app: Any) -> None:
        super().__init__()
        self.loop = loop
        self.app = app

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        answer = self.loop.run_until_complete(call_app(self.app, request))
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(bytes(answer.body)),
            headers=answer.headers,
            status=answer.status,
            version=11,
            preload_content=False,
            original_response=_Original(answer.headers),  # type: ignore[arg-type]
            request_method=request.method,
            enforce_content_length=False,
        )
        response = self.build_response(request, raw)
        if answer.cut_short:
            setattr(response, STREAM_CUT_SHORT_ATTRIBUTE, True)
        return response


def loop_session(loop: asyncio.AbstractEventLoop, app: Any) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = LoopAdapter(loop, app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
