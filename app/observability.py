"""Request ids, access metrics and logging, as one pure ASGI middleware (no per-request task)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON, problem_body

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUESTS = Counter("pool_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "pool_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
log = logging.getLogger("pool.errors")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``, kept if the client sent a sane one) and
    records its count and latency under the route's template, never the raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode(
            "latin-1"
        )
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if status:  # the response had started: nothing sane can be sent any more
                raise
            await send_internal_error(send_with_id, request_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            LATENCY.labels(method, template).observe(time.perf_counter() - started)
            REQUESTS.labels(method, template, str(status)).inc()
            request_id_var.reset(token)


async def send_internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(
        problem_body(
            500,
            "internal_error",
            "Internal server error",
            f"Something went wrong on our side. Quote request id {request_id} when reporting it.",
            request_id,
        )
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


_HANDLER = logging.StreamHandler()
_HANDLER.addFilter(RequestIdFilter())
_HANDLER.setFormatter(
    logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
)


def configure_logging(level: str) -> None:
    """Pool's own logs: one line each, with the request id; other handlers are left alone."""
    logger = logging.getLogger("pool")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)
    logger.setLevel(level.upper())
    logger.propagate = False
