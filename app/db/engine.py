"""Engines and sessions.

PostgreSQL: one asyncpg pool serves reads and writes. SQLite: WAL, ``busy_timeout`` and foreign keys
on every connection; writes go through ONE connection that opens ``BEGIN IMMEDIATE`` (a single
writer, so writers queue in the pool instead of failing with ``database is locked``), reads through
a small pool of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def _sqlite_engine(url: str, *, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_timeout=60, hide_parameters=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def create_engines(url: str, pool_size: int = 8) -> tuple[AsyncEngine, AsyncEngine]:
    """The (writer, reader) engines for a database URL; the same engine twice on PostgreSQL."""
    if make_url(url).get_backend_name() == "sqlite":
        writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE", pool_size=1)
        reader = _sqlite_engine(url, begin="BEGIN", pool_size=max(2, pool_size // 2))
        return writer, reader
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        hide_parameters=True,  # parameters (keys, secrets) never reach logs or error messages
        connect_args={"server_settings": {"application_name": "pool"}},
    )
    return engine, engine


class Database:
    """The service's handle on its database, owned by the app's lifespan."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.writer, self.reader = create_engines(url, pool_size)
        self._write = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read = async_sessionmaker(self.reader, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session for one use case that changes data; the caller commits once."""
        async with self._write() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction on a bare connection, for hot paths that need no ORM: committed
        when the block ends, rolled back if it raises."""
        async with self.writer.begin() as connection:
            yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only (on SQLite it never takes the write lock)."""
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a one-statement read. On PostgreSQL it runs in autocommit: no
        BEGIN and ROLLBACK round trips around it (every request authenticates this way)."""
        async with self.reader.connect() as connection:
            if not self.is_sqlite:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Any]:
        """PostgreSQL only: a pooled connection's own asyncpg connection, for the few hottest
        statements (through SQLAlchemy a query costs about four times what it costs through
        asyncpg, and a checkout through ``connect()`` three times one of the raw pool's). Run
        ``PgStatement``s on it; the caller manages any transaction."""
        pooled = await self.writer.raw_connection()
        driver: Any = pooled.driver_connection
        try:
            yield driver
        finally:
            # In a greenlet: returning an overflow connection closes it, through SQLAlchemy's
            # asyncpg adapter. A lost connection is dropped, not handed out again.
            await greenlet_spawn(pooled.invalidate if driver.is_closed() else pooled.close)

    async def listener(self) -> Any:
        """PostgreSQL only: an asyncpg connection of its own, outside the pool, for LISTEN."""
        args, kwargs = self.writer.dialect.create_connect_args(self.writer.url)
        server_settings = {"application_name": "pool-listener"}
        return await asyncpg.connect(*args, **kwargs, server_settings=server_settings)

    async def ping(self) -> None:
        """Raise unless the database answers. On SQLite also unless its file is still there: a
        pooled connection keeps reading a deleted file, and ``SELECT 1`` reads no page at all."""
        import asyncio
        import os

        if self.is_sqlite:
            path = make_url(self.url).database or ""
            if path.startswith("file:"):  # a URI filename (``?uri=true``)
                path = path.removeprefix("file:").split("?", 1)[0]
            if path not in ("", ":memory:") and not await asyncio.to_thread(os.path.exists, path):
                raise FileNotFoundError("the SQLite database file is gone")
        async with self.reader.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def migration_engine(url: str) -> AsyncEngine:
    """A throwaway engine for Alembic (no pool kept)."""
    return create_async_engine(url, poolclass=NullPool, hide_parameters=True)


_ASYNCPG = asyncpg_dialect()  # type: ignore[no-untyped-call]


class PgStatement:
    """A Core statement compiled once for asyncpg, to run on ``Database.driver()``.

    Parameters go in by name, as with SQLAlchemy; no type processing happens on the way: pass
    what asyncpg takes (aware datetimes, UUIDs, JSON as ``str``) and expect what it returns
    (enums as ``str``; JSON comes back parsed, by the codec SQLAlchemy sets up on every
    connection).
    """

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_ASYNCPG))
        self._compiled = compiled
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup or ())

    def args(self, params: dict[str, Any]) -> list[Any]:
        values = self._compiled.construct_params(params)
        return [values[name] for name in self._names]

    async def fetch(self, driver: Any, params: dict[str, Any]) -> list[Any]:
        return list(await driver.fetch(self.sql, *self.args(params)))

    async def fetchrow(self, driver: Any, params: dict[str, Any]) -> Any:
        return await driver.fetchrow(self.sql, *self.args(params))

    async def executemany(self, driver: Any, rows: list[dict[str, Any]]) -> None:
        await driver.executemany(self.sql, [self.args(row) for row in rows])
