"""Use cases on accounts: create one with its first key, bootstrap the admin, authenticate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.accounts import repository
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


async def authenticate(db: Database, raw_key: str) -> Principal | None:
    """The principal for a presented key, or None. Records last use at most once a minute."""
    owner = await repository.key_owner(db, hash_key(raw_key))
    if owner is None or not same_hash(owner.key_hash, raw_key):
        return None
    now = datetime.now(UTC)
    if owner.last_used_at is None or owner.last_used_at < now - timedelta(minutes=1):
        async with db.write() as session:
            await repository.touch_key(session, owner.key_id, now)
            await session.commit()
    return Principal(owner.account_id, owner.role, owner.name, owner.key_id)


async def get_account(db: Database, account_id: uuid.UUID) -> Account | None:
    async with db.read() as session:
        return await repository.get_account(session, account_id)


async def is_empty(db: Database) -> bool:
    async with db.read() as session:
        return await repository.count_accounts(session) == 0
