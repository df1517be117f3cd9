"""One Alembic history for both engines: it matches the models, and every step goes down and up."""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from app.db import models  # noqa: F401
from app.db.base import Base
from app.db.engine import migration_engine
from app.db.migrate import alembic_config, downgrade, upgrade
from tests.helpers import (
    create_postgres_database,
    drop_postgres_database,
    postgres_answers,
    skip_or_fail_without_postgres,
)


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'stairway.db'}"
        return
    reason = await postgres_answers()
    if reason:
        skip_or_fail_without_postgres(reason)
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def tables(url: str) -> set[str]:
    engine = migration_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_stairway_every_revision_downgrades_and_upgrades_again(empty_url: str) -> None:
    previous = "base"
    for revision in revisions_oldest_first():
        await asyncio.to_thread(upgrade, empty_url, revision)
        after_up = await tables(empty_url)
        await asyncio.to_thread(downgrade, empty_url, previous)
        await asyncio.to_thread(upgrade, empty_url, revision)
        assert await tables(empty_url) == after_up
        previous = revision
    await asyncio.to_thread(downgrade, empty_url, "base")
    assert await tables(empty_url) == set()


async def test_the_models_match_the_migrations(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    engine = migration_engine(empty_url)
    async with engine.connect() as connection:
        changes = await connection.run_sync(diff)
    await engine.dispose()
    assert changes == []
    assert await tables(empty_url) == set(Base.metadata.tables)
