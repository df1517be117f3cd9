"""Helpers shared by tests: keys, headers and PostgreSQL databases of their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.engine import make_url

ADMIN_KEY = "pool_adm_test-admin-key-0123456789"
POSTGRES_URL = os.environ.get(
    "POOL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def postgres_answers() -> str | None:
    """None if PostgreSQL answers, else why not."""
    import asyncpg

    url = make_url(POSTGRES_URL)
    try:
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            database=url.database,
            timeout=3,
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {url.host}:{url.port or 5432} does not answer ({exc!r})"
    await connection.close()
    return None


def skip_or_fail_without_postgres(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(f"needs PostgreSQL: {reason}")


async def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database; returns its SQLAlchemy URL."""
    import asyncpg

    url = make_url(POSTGRES_URL)
    name = f"pool_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(db_url: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    name = make_url(db_url).database
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


Account = dict[str, Any]
MakeAccount = Callable[..., Awaitable[Account]]


SECRETS: set[str] = {ADMIN_KEY}  # every key and webhook secret the suite was handed


def collect_secrets(body: object) -> None:
    """Remember any ``api_key`` or ``secret`` in a response body (for the log check)."""
    if isinstance(body, dict):
        for name, value in body.items():
            if name in {"api_key", "secret"} and isinstance(value, str):
                SECRETS.add(value)
            else:
                collect_secrets(value)
    elif isinstance(body, list):
        for item in body:
            collect_secrets(item)
