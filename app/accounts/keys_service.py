"""Use cases on API keys: issue another key for an account, list them, revoke one.

An admin manages every account's keys; any account manages its own. Revocation is immediate:
the key is evicted from this process's key cache after the commit, and from every other
process's by the NOTIFY its transaction sends (``app.accounts.key_cache``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.accounts import repository
from app.accounts.key_cache import KeyCache
from app.accounts.keys import display_prefix, generate_key, hash_key
from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import ApiKey, Role
from app.errors import NotFound
from app.idempotency import Idempotency, remember, replay


class AccountNotFound(NotFound):
    code, title = "account_not_found", "No such account of yours"


class KeyNotFound(NotFound):
    code, title = "key_not_found", "No such API key of yours"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    raw: str | None  # None on an idempotent replay: the raw key is never stored


def _may_manage(caller: Principal, account_id: uuid.UUID) -> bool:
    return caller.role == Role.admin or caller.account_id == account_id


async def issue_key(
    db: Database, caller: Principal, account_id: uuid.UUID, idem: Idempotency | None
) -> IssuedKey:
    if not _may_manage(caller, account_id):
        raise AccountNotFound
    async with db.write() as session:
        if (stored := await replay(session, caller.account_id, idem)) is not None:
            key = await repository.get_key(session, uuid.UUID(stored))
            if key is not None:
                return IssuedKey(key, None)
        account = await repository.get_account(session, account_id)
        if account is None:
            raise AccountNotFound
        raw = generate_key(account.role)
        key = await repository.add_key(session, account.id, hash_key(raw), display_prefix(raw))
        remember(session, caller.account_id, idem, str(key.id))
        await session.commit()
    return IssuedKey(key, raw)


async def list_keys(db: Database, caller: Principal, account_id: uuid.UUID) -> Sequence[ApiKey]:
    if not _may_manage(caller, account_id):
        raise AccountNotFound
    async with db.read() as session:
        if await repository.get_account(session, account_id) is None:
            raise AccountNotFound
        return await repository.list_keys(session, account_id)


async def revoke_key(
    db: Database, caller: Principal, key_id: uuid.UUID, cache: KeyCache | None = None
) -> None:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    async with db.write() as session:
        key = await repository.get_key(session, key_id)
        if key is None or not _may_manage(caller, key.account_id):
            raise KeyNotFound
        await repository.revoke_key(session, key.id, datetime.now(UTC))
        await repository.announce_revocation(session, key.id)
        await session.commit()
    if cache is not None:
        cache.revoke(key_id)
