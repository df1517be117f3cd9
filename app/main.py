"""The application factory. ``app.main:app`` is the ASGI application any server can run."""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import handlers, ops
from app.accounts import service as accounts
from app.accounts.key_cache import KeyCache, listen_for_revocations
from app.accounts.router import keys_router
from app.accounts.router import router as accounts_router
from app.audit.router import router as audit_router
from app.audit.trail import AuditMiddleware, AuditTrail
from app.body_limit import BodyLimitMiddleware
from app.closing.router import router as closing_router
from app.db.engine import Database
from app.db.migrate import upgrade
from app.db.models import Role
from app.demand.router import router as demand_router
from app.errors import (
    HEADERS,
    RETRY_STATUSES,
    AppError,
    MalformedJson,
    PayloadTooLarge,
    Problem,
    Unauthenticated,
    error_response,
    header_ref,
    problem_response,
)
from app.events.router import router as events_router
from app.groups.router import router as groups_router
from app.observability import RequestContextMiddleware, configure_logging
from app.orders.router import router as orders_router
from app.ratelimit import LongPollGate, RateLimited, RateLimiter
from app.settings import Settings, SettingsError, load_settings
from app.web.router import router as web_router
from app.web.router import static as web_static
from app.webhooks.router import router as webhooks_router
from app.worker.loop import Worker

log = logging.getLogger("pool")

DESCRIPTION = """\
Pool lets consumers pool their purchase intents into **demand groups**; the unit price walks down a
manufacturer's tier schedule as the pooled volume grows, and at close one clearing step fixes a
single fair price (nobody pays above the limit they set) and emits one order to the winning
manufacturer.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
`application/problem+json` with a stable `code`. Money is an integer count of the currency's minor
unit (cents). Lists are cursor-paginated: `?limit=&cursor=` → `{"data": [...], "next_cursor"}`.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings.database_url, settings.db_pool_size)
    app.state.db = db
    # PostgreSQL's key cache turns on with its LISTEN for revocations. SQLite has no such signal
    # between processes (POOL_WORKERS): there an entry lives a second.
    keys = KeyCache(enabled=True, ttl=1.0) if db.is_sqlite else KeyCache(enabled=False)
    app.state.key_cache = keys
    stop = asyncio.Event()
    worker: asyncio.Task[None] | None = None
    trail: asyncio.Task[None] | None = None
    listener: asyncio.Task[None] | None = None
    try:
        if settings.migrate_on_start:  # any ASGI server running app.main:app gets a ready schema
            await asyncio.to_thread(upgrade, settings.database_url)
        if settings.admin_api_key is not None:
            raw = settings.admin_api_key.get_secret_value()
            if await accounts.ensure_account_with_key(db, Role.admin, "admin", raw):
                log.info("created the admin account from POOL_ADMIN_API_KEY")
        if settings.run_worker:
            worker = asyncio.create_task(Worker(db, settings).run(stop), name="pool-worker")
        trail = asyncio.create_task(app.state.audit.run(db, stop), name="pool-audit")
        if not db.is_sqlite:
            revocations = listen_for_revocations(db, keys, stop)
            listener = asyncio.create_task(revocations, name="pool-key-revocations")
        # Everything loaded so far lives as long as the process: keep it out of the collector's
        # full passes (measured: ~0.1 s pauses of the event loop, ~50 µs per join on average).
        gc.freeze()
        yield
    finally:
        stop.set()
        for task in (worker, trail, listener):
            if task is not None:
                await task
        await db.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database engine is created by the lifespan, never at import."""
    settings = settings or load_settings()
    configure_logging(settings.log_level.value)
    app = FastAPI(
        title="Pool",
        version="0.1.0",
        summary="Collective bargaining: pooled demand, volume pricing, one fair price.",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings)
    app.state.long_polls = LongPollGate(settings.long_polls_per_key, settings.long_polls_max)
    handlers.install(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    app.state.audit = AuditTrail()
    app.add_middleware(AuditMiddleware, trail=app.state.audit)
    app.add_middleware(RequestContextMiddleware)  # added last, so outermost
    app.include_router(ops.router)
    app.include_router(accounts_router)
    app.include_router(keys_router)
    app.include_router(audit_router)
    app.include_router(groups_router)
    app.include_router(closing_router)
    app.include_router(orders_router)
    app.include_router(events_router)
    app.include_router(demand_router)
    app.include_router(webhooks_router)
    app.include_router(web_router)
    app.mount("/static", web_static, name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error response as problem+json, no leftover
    validation-error schemas, and the headers every response carries (X-Request-ID; Retry-After
    on a 429 or 503) declared once in ``components.headers`` and referenced."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))  # FieldError, referenced as a component
    schemas["Problem"] = problem
    for path in doc["paths"].values():
        for operation in path.values():
            responses = operation["responses"]
            if "422" in responses:
                responses["422"] = problem_response(422, "validation_error", "Request is not valid")
            if operation.get("requestBody"):
                for error in (MalformedJson, PayloadTooLarge):
                    responses.setdefault(str(error.status), error_response(error))
            if operation.get("security"):
                responses.setdefault("401", error_response(Unauthenticated))
                _add_problem(responses, RateLimited)
            for status, response in responses.items():
                _declare_headers(status, response)
    doc["components"]["headers"] = copy.deepcopy(HEADERS)
    _contract_additions(doc)
    app.openapi_schema = doc
    return doc


def _add_problem(responses: dict[str, Any], error: type[AppError]) -> None:
    """Document ``error`` on an operation; a status it already has names one code more."""
    status = str(error.status)
    if status not in responses:
        responses[status] = error_response(error)
    elif f"`{error.code}`" not in responses[status]["description"]:
        responses[status]["description"] += f"; `{error.code}`: {error.title}"


def _declare_headers(status: str, response: dict[str, Any]) -> None:
    """X-Request-ID on every response, Retry-After on every 429 and 503, after the route's own.
    A new dict: the route's ``responses=`` may share theirs between operations."""
    headers = dict(response.get("headers", {}))
    if status in RETRY_STATUSES:
        headers["Retry-After"] = header_ref("Retry-After")
    headers["X-Request-ID"] = header_ref("X-Request-ID")
    response["headers"] = headers


# Contract additions (kept apart from the generic post-processing above): OpenAPI links, so
# clients and stateful tests can follow a create to what it made. Each row: the operation, its
# success status, the link's name, the operation it leads to and that operation's parameters.
LINKS: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    *(
        ("create_group", "201", name, target, {"group_id": "$response.body#/id"})
        for name, target in (
            ("GetGroup", "get_group"),
            ("JoinGroup", "create_intent"),
            ("BidOnGroup", "create_offer"),
            ("ListOffers", "list_offers"),
            ("CloseGroup", "close_group"),
            ("CancelGroup", "cancel_group"),
            ("GetClearing", "get_clearing"),
        )
    ),
    (
        "create_intent",
        "201",
        "WithdrawIntent",
        "withdraw_intent",
        {"intent_id": "$response.body#/id"},
    ),
    ("create_intent", "201", "GetGroup", "get_group", {"group_id": "$response.body#/group_id"}),
    ("create_intent", "201", "CloseGroup", "close_group", {"group_id": "$response.body#/group_id"}),
    ("create_offer", "201", "GetGroup", "get_group", {"group_id": "$response.body#/group_id"}),
    ("create_offer", "201", "CloseGroup", "close_group", {"group_id": "$response.body#/group_id"}),
    ("cancel_group", "200", "GetClearing", "get_clearing", {"group_id": "$response.body#/id"}),
    *(
        ("close_group", "200", name, target, {"order_id": "$response.body#/order_id"})
        for name, target in (
            ("GetOrder", "get_order"),
            ("ListOrderLines", "list_order_lines"),
            ("AcknowledgeOrder", "acknowledge_order"),
        )
    ),
    ("close_group", "200", "GetGroup", "get_group", {"group_id": "$response.body#/group_id"}),
    *(
        ("create_webhook_endpoint", "201", name, target, {"endpoint_id": "$response.body#/id"})
        for name, target in (
            ("GetEndpoint", "get_webhook_endpoint"),
            ("DeleteEndpoint", "delete_webhook_endpoint"),
            ("RotateSecret", "rotate_webhook_secret"),
            ("EnableEndpoint", "enable_webhook_endpoint"),
            ("ListDeliveries", "list_webhook_deliveries"),
        )
    ),
    ("create_account", "201", "CreateKey", "create_key", {"account_id": "$response.body#/id"}),
    ("create_account", "201", "ListKeys", "list_keys", {"account_id": "$response.body#/id"}),
    ("create_key", "201", "RevokeKey", "revoke_key", {"key_id": "$response.body#/id"}),
)


def _contract_additions(doc: dict[str, Any]) -> None:
    operations = {
        operation["operationId"]: operation
        for item in doc["paths"].values()
        for operation in item.values()
    }
    for source, status, name, target, parameters in LINKS:
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None or target not in operations:
            continue  # a route that is not there (yet): no link
        response.setdefault("links", {})[name] = {
            "operationId": target,
            "parameters": parameters,
        }


def _app_or_exit() -> FastAPI:
    try:
        return create_app()
    except SettingsError as exc:
        print(f"pool: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


app = _app_or_exit()
