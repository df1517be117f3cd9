"""``Idempotency-Key`` for creates: the first answer is stored in the use case's own transaction
and replayed for a retry with the same key and body.

The same key with another body is 422 ``idempotency_key_reused``. On PostgreSQL a duplicate that
arrives while the first is still in flight is 409 ``idempotency_in_flight`` (a transaction-scoped
advisory lock on the key); on SQLite write transactions run one at a time, so it simply replays.
Keys are scoped to the calling account and kept for ``POOL_IDEMPOTENCY_TTL_SECONDS``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from pydantic import BaseModel
from sqlalchemy import BigInteger, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import IdempotencyKey
from app.errors import AppError, Conflict


class IdempotencyKeyReused(AppError):
    status, code = 422, "idempotency_key_reused"
    title = "This Idempotency-Key was used with another request body"


class IdempotencyInFlight(Conflict):
    code, title = "idempotency_in_flight", "A request with this Idempotency-Key is still in flight"


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    fingerprint: str
    ttl_seconds: int


IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="Makes a retry safe: the same key and body return the first answer. "
        "Printable ASCII, e.g. a UUID.",
    ),
]


def idempotency(
    key: str | None, operation: str, body: BaseModel, ttl_seconds: int
) -> Idempotency | None:
    if key is None:
        return None
    digest = hashlib.sha256(f"{operation}\n{body.model_dump_json()}".encode()).hexdigest()
    return Idempotency(key, digest, ttl_seconds)


def _lock_id(account_id: uuid.UUID, key: str) -> int:
    raw = hashlib.sha256(account_id.bytes + key.encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


# Built once: every create runs them, and building a statement costs more than running it.
CLAIM = func.pg_try_advisory_xact_lock(bindparam("lock_id", type_=BigInteger))
"""The key's advisory lock for the rest of the transaction (PostgreSQL); false: in flight."""
_THIS_KEY = (IdempotencyKey.account_id == bindparam("account_id")) & (
    IdempotencyKey.key == bindparam("key")
)
_LOCK = select(CLAIM)
_LOOKUP = select(
    IdempotencyKey.fingerprint, IdempotencyKey.response, IdempotencyKey.expires_at
).where(_THIS_KEY)
FORGET = delete(IdempotencyKey).where(_THIS_KEY)
"""Delete the answer stored under a key (``key_params``)."""

StoredRow = tuple[str, str, datetime]
"""An ``idempotency_keys`` row as looked up: fingerprint, response, expires_at."""


def key_params(account_id: uuid.UUID, request: Idempotency | None) -> dict[str, Any]:
    """The parameters of ``CLAIM`` and of a lookup of the key (none given: no key matches)."""
    if request is None:
        return {"account_id": account_id, "key": None, "lock_id": 0}
    return {
        "account_id": account_id,
        "key": request.key,
        "lock_id": _lock_id(account_id, request.key),
    }


async def replay(
    session: AsyncSession | AsyncConnection, account_id: uuid.UUID, request: Idempotency | None
) -> str | None:
    """Claim the key for this transaction. Returns the stored answer (JSON) of a completed first
    request with the same body, or None when this request is the first."""
    if request is None:
        return None
    params = key_params(account_id, request)
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    claimed = bind.dialect.name != "postgresql" or bool(await session.scalar(_LOCK, params))
    row = (await session.execute(_LOOKUP, params)).one_or_none() if claimed else None
    stored: StoredRow | None = None if row is None else (row[0], row[1], row[2])
    answer = stored_answer(request, claimed, stored, datetime.now(UTC))
    if answer is None and stored is not None:  # expired: the key may be used anew
        await session.execute(FORGET, params)
    return answer


def _expired(stored: StoredRow, now: datetime) -> bool:
    """An answer past its time: delete it, and the key may be used anew."""
    return stored[2] <= now


def stored_answer(
    request: Idempotency, claimed: bool, stored: StoredRow | None, now: datetime
) -> str | None:
    """Judge a claimed key and what is stored under it: the answer to replay, or None when this
    request is the first (nothing stored, or only an answer expired at ``now``). A key still
    held by another transaction is 409 ``idempotency_in_flight``; one stored for another body,
    422."""
    if not claimed:
        raise IdempotencyInFlight("Retry once the first request has been answered.")
    if stored is None or _expired(stored, now):
        return None
    fingerprint, response, _ = stored
    if fingerprint != request.fingerprint:
        raise IdempotencyKeyReused("Use a new Idempotency-Key for a different request.")
    return str(response)


def remember(
    session: AsyncSession, account_id: uuid.UUID, request: Idempotency | None, response: str
) -> None:
    """Store the first answer, in the same transaction as the change it describes."""
    if request is None:
        return
    session.add(IdempotencyKey(**answer_row(account_id, request, response)))


def answer_row(account_id: uuid.UUID, request: Idempotency, response: str) -> dict[str, Any]:
    """The ``idempotency_keys`` row that stores ``response`` as the answer to this key."""
    now = datetime.now(UTC)
    return {
        "account_id": account_id,
        "key": request.key,
        "fingerprint": request.fingerprint,
        "response": response,
        "created_at": now,
        "expires_at": now + timedelta(seconds=request.ttl_seconds),
    }


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
