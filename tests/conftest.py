"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL with ``POOL_TEST_DB=postgres``. Each run
builds a fresh database with ``alembic upgrade head`` (never ``create_all``), runs the app's
lifespan once, and empties every table after each test. Tests that race on real commits use
``postgres_url``, a PostgreSQL database of their own whatever the main backend is: skipped when
none answers, a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from sqlalchemy import text

from app.accounts.service import ensure_account_with_key
from app.db.base import Base
from app.db.engine import Database
from app.db.migrate import upgrade
from app.db.models import Role
from app.main import create_app
from app.settings import Settings
from tests.helpers import (
    ADMIN_KEY,
    Account,
    MakeAccount,
    auth,
    collect_secrets,
    create_postgres_database,
    drop_postgres_database,
    postgres_answers,
    skip_or_fail_without_postgres,
)


async def migrated(url: str) -> str:
    await asyncio.to_thread(upgrade, url)
    return url


def test_settings(url: str, **overrides: Any) -> Settings:
    """Settings for a test app on ``url`` (a helper, not a test)."""
    values: dict[str, Any] = {
        "database_url": url,
        "admin_api_key": ADMIN_KEY,
        "run_worker": False,
        "migrate_on_start": False,  # the suite migrates once per database
        "rate_limits_enabled": False,
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    backend = os.environ.get("POOL_TEST_DB", "sqlite")
    if backend == "sqlite":
        path = Path(tmp_path_factory.mktemp("db")) / "pool.db"
        yield await migrated(f"sqlite+aiosqlite:///{path}")
        return
    if backend != "postgres":
        raise pytest.UsageError("POOL_TEST_DB must be sqlite or postgres")
    reason = await postgres_answers()
    if reason:
        pytest.exit(f"POOL_TEST_DB=postgres but {reason}", returncode=3)
    url = await create_postgres_database()
    try:
        yield await migrated(url)
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="session")
async def settings(database_url: str) -> Settings:
    return test_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def db(app: Any) -> Database:
    database: Database = app.state.db
    return database


async def empty_tables(app: Any) -> None:
    """Delete every row under the app's feet, and forget the keys its cache holds (the admin
    comes back with the same key but another account)."""
    db: Database = app.state.db
    names = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with db.write() as session:  # DELETE: cheaper than TRUNCATE for small tables
        for name in names:
            await session.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608  (table names)
        await session.commit()
    await ensure_account_with_key(db, Role.admin, "admin", ADMIN_KEY)
    app.state.key_cache.clear()


@pytest.fixture(autouse=True)
async def _clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "db" in request.fixturenames:
        await empty_tables(request.getfixturevalue("app"))


def _collect(content_type: str, body: bytes) -> None:
    if content_type.startswith("application/json") and body:
        with contextlib.suppress(ValueError):
            collect_secrets(json.loads(body))


@pytest.fixture(scope="session", autouse=True)
def _collect_secrets() -> Iterator[None]:
    """Every key and webhook secret a response of the session carries, through any client: the
    ``client`` fixture, an app or a server a test runs itself, the contract tests' ``requests``
    session. Streamed responses are left unread (their callers read them)."""
    async_send, sync_send, requests_send = (
        httpx.AsyncClient.send,
        httpx.Client.send,
        requests.Session.send,
    )

    async def send_async(self: httpx.AsyncClient, request: Any, **kwargs: Any) -> Any:
        response = await async_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            _collect(response.headers.get("content-type", ""), response.content)
        return response

    def send_sync(self: httpx.Client, request: Any, **kwargs: Any) -> Any:
        response = sync_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            _collect(response.headers.get("content-type", ""), response.content)
        return response

    def send_requests(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        response = requests_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            _collect(response.headers.get("content-type", ""), response.content)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.AsyncClient, "send", send_async)
        patch.setattr(httpx.Client, "send", send_sync)
        patch.setattr(requests.Session, "send", send_requests)
        yield


@pytest.fixture
async def client(app: Any, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
        yield http


class LogCapture(logging.Handler):
    """Keeps every log line of the session, tracebacks included, for the secrets check."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


CAPTURE = LogCapture()


@pytest.fixture(scope="session", autouse=True)
def _capture_logs() -> Iterator[None]:
    loggers = [logging.getLogger(), logging.getLogger("pool")]
    for logger in loggers:
        logger.addHandler(CAPTURE)
    yield
    for logger in loggers:
        logger.removeHandler(CAPTURE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The secrets-in-logs check reads what the whole session logged: it runs last."""
    last = [item for item in items if item.name == "test_no_secret_reaches_the_logs"]
    for item in last:
        items.remove(item)
    items.extend(last)


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return auth(ADMIN_KEY)


@pytest.fixture
def make_account(client: httpx.AsyncClient) -> MakeAccount:
    """Create an account through the API; the result carries its ``api_key`` and ``headers``."""
    counter = iter(range(1_000_000))

    async def make(role: str, name: str | None = None) -> Account:
        body = {"role": role, "name": name or f"{role}-{next(counter)}"}
        response = await client.post("/v1/accounts", json=body, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        account: Account = response.json()
        account["headers"] = auth(account["api_key"])
        return account

    return make


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own, for tests that race on real commits."""
    reason = await postgres_answers()
    if reason:
        skip_or_fail_without_postgres(reason)
    url = await create_postgres_database()
    try:
        yield await migrated(url)
    finally:
        await drop_postgres_database(url)
