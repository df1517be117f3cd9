"""Queries on accounts and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.key_cache import CHANNEL
from app.db.engine import Database, PgStatement
from app.db.models import Account, ApiKey, Role


@dataclass(frozen=True, slots=True)
class KeyOwner:
    key_id: uuid.UUID
    key_hash: bytes
    account_id: uuid.UUID
    role: Role
    name: str
    last_used_at: datetime | None


# Built once: every authenticated request runs it.
_KEY_OWNER = (
    select(ApiKey.id, ApiKey.key_hash, Account.id, Account.role, Account.name)
    .add_columns(ApiKey.last_used_at)
    .join(Account, Account.id == ApiKey.account_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
)


_PG_KEY_OWNER = PgStatement(_KEY_OWNER)


async def key_owner(db: Database, key_hash: bytes) -> KeyOwner | None:
    """The unrevoked key with this digest and its account. Every authenticated request asks,
    so on PostgreSQL it runs straight on asyncpg (autocommit: no BEGIN, no ROLLBACK)."""
    params = {"key_hash": key_hash}
    if db.is_sqlite:
        async with db.lookup() as connection:
            row = (await connection.execute(_KEY_OWNER, params)).one_or_none()
    else:
        async with db.driver() as driver:
            row = await _PG_KEY_OWNER.fetchrow(driver, params)
    if row is None:
        return None
    key_id, digest, account_id, role, name, last_used_at = row
    return KeyOwner(key_id, digest, account_id, Role(role), name, last_used_at)


async def touch_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    """Record use at most once a minute, so that reads do not become writes."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - timedelta(minutes=1)))
        .values(last_used_at=now)
    )


async def add_account(session: AsyncSession, role: Role, name: str) -> Account:
    account = Account(role=role, name=name)
    session.add(account)
    await session.flush()
    return account


async def add_key(
    session: AsyncSession, account_id: uuid.UUID, key_hash: bytes, prefix: str
) -> ApiKey:
    key = ApiKey(account_id=account_id, key_hash=key_hash, prefix=prefix)
    session.add(key)
    await session.flush()
    return key


async def key_exists(session: AsyncSession, key_hash: bytes) -> bool:
    found = await session.scalar(select(ApiKey.id).where(ApiKey.key_hash == key_hash))
    return found is not None


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def count_accounts(session: AsyncSession) -> int:
    return len((await session.scalars(select(Account.id).limit(1))).all())


async def list_keys(session: AsyncSession, account_id: uuid.UUID) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id)
    return (await session.scalars(query)).all()


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def revoke_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def announce_revocation(session: AsyncSession, key_id: uuid.UUID) -> None:
    """PostgreSQL: tell every process's key cache, once this transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, str(key_id))))
