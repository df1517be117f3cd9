"""Use cases on accounts: create one with its first key, bootstrap the admin, authenticate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.accounts import repository
from app.accounts.key_cache import KeyCache
from app.accounts.keys import display_prefix, generate_key, hash_key, same_hash
from app.db.engine import Database
from app.db.models import Account, Role
from app.idempotency import Idempotency, remember, replay


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the account behind a valid, unrevoked API key."""

    account_id: uuid.UUID
    role: Role
    name: str
    key_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    api_key: str  # shown once, never stored


async def create_account(
    db: Database,
    role: Role,
    name: str,
    *,
    caller_id: uuid.UUID | None = None,
    idem: Idempotency | None = None,
) -> NewAccount | Account:
    """Create an account and its first, random API key. A retry with the caller's same
    Idempotency-Key returns the account it created, without the key: keys are never stored."""
    raw = generate_key(role)
    async with db.write() as session:
        if caller_id is not None and (stored := await replay(session, caller_id, idem)):
            account = await repository.get_account(session, uuid.UUID(stored))
            if account is not None:
                return account
        account = await repository.add_account(session, role, name)
        await repository.add_key(session, account.id, hash_key(raw), display_prefix(raw))
        if caller_id is not None:
            remember(session, caller_id, idem, str(account.id))
        await session.commit()
    return NewAccount(account, raw)


async def ensure_account_with_key(db: Database, role: Role, name: str, raw_key: str) -> bool:
    """Create the account for a known key unless that key exists already. True if created."""
    async with db.write() as session:
        if await repository.key_exists(session, hash_key(raw_key)):
            return False
        account = await repository.add_account(session, role, name)
        await repository.add_key(session, account.id, hash_key(raw_key), display_prefix(raw_key))
        await session.commit()
    return True


async def authenticate(
    db: Database, raw_key: str, cache: KeyCache | None = None
) -> Principal | None:
    """The principal for a presented key, or None. Known keys are served from ``cache``
    (``app.accounts.key_cache``); last use is recorded at most once a minute."""
    digest = hash_key(raw_key)
    entry = cache.get(digest) if cache is not None else None
    if entry is not None:
        principal, last_used_at = entry.principal, entry.last_used_at
    else:
        revision = cache.revision if cache is not None else 0
        owner = await repository.key_owner(db, digest)
        if owner is None or not same_hash(owner.key_hash, raw_key):
            return None
        principal = Principal(owner.account_id, owner.role, owner.name, owner.key_id)
        last_used_at = owner.last_used_at
        if cache is not None:
            entry = cache.put(digest, principal, last_used_at, revision)
    now = datetime.now(UTC)
    if last_used_at is None or last_used_at < now - timedelta(minutes=1):
        async with db.write() as session:
            await repository.touch_key(session, principal.key_id, now)
            await session.commit()
        if entry is not None:
            entry.last_used_at = now
    return principal


async def get_account(db: Database, account_id: uuid.UUID) -> Account | None:
    async with db.read() as session:
        return await repository.get_account(session, account_id)


async def is_empty(db: Database) -> bool:
    async with db.read() as session:
        return await repository.count_accounts(session) == 0
