"""Refuse request bodies over ``POOL_MAX_BODY_BYTES`` with a 413 problem, before they are read,
and bodies that trickle in slower than ``POOL_BODY_TIMEOUT_SECONDS`` with a 408.

A declared ``Content-Length`` over the limit is refused at once; a streamed body is counted as it
arrives and refused the moment it passes the limit (raised as an ``HTTPException``, which FastAPI
passes on to the problem+json handler).
"""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON, PayloadTooLarge
from app.observability import request_id_var


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float = 30) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen, complete = 0, False

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:  # the body is in; later receives wait for the disconnect
                return await receive()
            try:
                async with asyncio.timeout(self.timeout_seconds):  # no task per receive
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, "The request body arrived too slowly.") from None
            seen += len(message.get("body", b""))
            complete = not message.get("more_body", False)
            if seen > self.max_bytes:
                raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counted, send)

    def _detail(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(PayloadTooLarge(self._detail()).body(request_id_var.get())).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
