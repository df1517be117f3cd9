"""SQL of the join, the service's hottest write.

Everything here is measured (bench/README.md, "join"): building a statement costs more than the
database's work, and running one through SQLAlchemy costs about four times what it costs through
asyncpg. So the join's statements are Core statements built once, at import, and a join is
three round trips after BEGIN: one read (the Idempotency-Key's claim, its stored answer, the
group and its offers), one write and the COMMIT. On PostgreSQL they run straight on the pooled
connection's asyncpg connection, compiled once (``PgStatement``), and the write is ONE statement
of data-modifying CTEs. SQLite has no such CTEs and no round trips: there the same statements
run through SQLAlchemy, one by one, in the single writer's ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from sqlalchemy import and_, bindparam, case, insert, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.engine import Database, PgStatement
from app.db.models import (
    Event,
    Group,
    GroupStatus,
    IdempotencyKey,
    Intent,
    Offer,
    OfferStatus,
    Participant,
)
from app.events.outbox import NewEvent, current_tx_of, emit, event_row
from app.groups.repository import PRICE_REACHED, Totals, lower_price_reached
from app.groups.schemas import MAX_GROUP_VOLUME
from app.idempotency import CLAIM, FORGET, StoredRow


@dataclass(frozen=True, slots=True)
class JoinTarget:
    """What a join checks before it writes: the group's state and its live offers (id, tiers),
    earliest first."""

    status: GroupStatus
    deadline: datetime
    max_per_intent: int
    total_quantity: int
    offers: list[tuple[uuid.UUID, list[Any]]]


@dataclass(frozen=True, slots=True)
class Found:
    """The join's read: whether the Idempotency-Key was claimed (always, without a key or on
    SQLite), the answer stored under it, and the group (None: no such group)."""

    claimed: bool
    stored: StoredRow | None
    group: JoinTarget | None


@dataclass(frozen=True, slots=True)
class Pledge:
    """The rows one join writes: the intent, its event (``event_row``, without ``tx``) and, with
    an Idempotency-Key, the stored answer (``answer_row``)."""

    intent: dict[str, Any]
    event: dict[str, Any]
    answer: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Counted:
    """What the join's writes found: the consumer's active intents in the group (this one
    included), and the group's new totals (None: the guarded UPDATE matched nothing)."""

    held: int
    totals: Totals | None


@dataclass(frozen=True, slots=True)
class GroupNow:
    status: GroupStatus
    deadline: datetime
    max_quantity: int | None
    total_quantity: int


class AnswerRace(Exception):
    """A twin request (same Idempotency-Key) stored its answer after this one looked: roll back
    and start over, to replay it."""


class JoinStore(Protocol):
    """The statements of one join, in its transaction."""

    async def lookup(self, group_id: uuid.UUID, key: dict[str, Any], claim: bool) -> Found: ...
    async def forget_answer(self, key: dict[str, Any]) -> None: ...
    async def record(self, pledge: Pledge, max_intents: int, now: datetime) -> Counted: ...
    async def group_now(self, group_id: uuid.UUID) -> GroupNow: ...
    async def lower_price_reached(self, group_id: uuid.UUID, price: int) -> bool: ...
    async def emit(self, events: Sequence[NewEvent]) -> None: ...


@asynccontextmanager
async def join_transaction(db: Database) -> AsyncIterator[JoinStore]:
    """One write transaction for a join: committed when the block ends, rolled back if it
    raises."""
    if db.is_sqlite:
        async with db.transaction() as connection:
            yield SqliteJoin(connection)
        return
    async with db.driver() as driver, driver.transaction():
        yield PostgresJoin(driver)


# --- the statements -------------------------------------------------------------------------


def _lookup(claim: Any) -> Any:
    """Claim the key, read its stored answer, the group and its active offers: one statement
    from a one-row anchor, so that it answers even when there is no key or no group."""
    anchor = select(claim.label("claimed")).subquery("anchor")
    stored_here = and_(
        IdempotencyKey.account_id == bindparam("account_id"),
        IdempotencyKey.key == bindparam("key"),
    )
    live_offer = and_(Offer.group_id == Group.id, Offer.status == OfferStatus.active)
    return (
        select(
            anchor.c.claimed,
            IdempotencyKey.fingerprint,
            IdempotencyKey.response,
            IdempotencyKey.expires_at,
            Group.id,
            Group.status,
            Group.deadline,
            Group.max_per_intent,
            Group.total_quantity,
            Offer.id,
            Offer.tiers,
        )
        .select_from(anchor)
        .outerjoin(IdempotencyKey, stored_here)
        .outerjoin(Group, Group.id == bindparam("group_id"))
        .outerjoin(Offer, live_offer)
        .order_by(Offer.created_at, Offer.id)
    )


# On PostgreSQL the claim is the key's advisory lock, taken in the lookup itself. The lookup's
# snapshot may predate the lock: an answer that a twin commits in between is not seen, and
# storing ours then fails on the key's primary key (``AnswerRace``); the caller starts over.
_LOCKING_LOOKUP = _lookup(CLAIM)
_LOOKUP = _lookup(literal(True))  # no key to claim, or SQLite (one writer at a time)


def _found(rows: Sequence[Any]) -> Found:
    claimed, fingerprint, response, expires_at, group_id, status, deadline, per_intent, total = (
        rows[0][:9]
    )
    stored = None if fingerprint is None else (fingerprint, response, expires_at)
    group = None
    if group_id is not None:
        offers = [(row[9], row[10]) for row in rows if row[9] is not None]
        group = JoinTarget(GroupStatus(status), deadline, per_intent, total, offers)
    return Found(bool(claimed), stored, group)


def _prefixed(prefix: str, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}_{name}") for name in columns}


def _params(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{name}": value for name, value in row.items()}


_INTENT = (
    "id",
    "group_id",
    "consumer_id",
    "quantity",
    "max_unit_price",
    "delivery_area",
    "status",
    "created_at",
    "updated_at",
)
_EVENT = ("type", "data", "group_id", "account_id", "created_at")
_ANSWER = ("account_id", "key", "fingerprint", "response", "created_at", "expires_at")

# The guards of the totals UPDATE: the group is open, not due, and the cap allows the quantity.
_TAKES = (
    Group.id == bindparam("group_id"),
    Group.status == GroupStatus.open,
    Group.deadline > bindparam("now"),
    Group.total_quantity + bindparam("quantity") <= MAX_GROUP_VOLUME,
    or_(
        Group.max_quantity.is_(None),
        Group.total_quantity + bindparam("quantity") <= Group.max_quantity,
    ),
)
_BUMP = {
    "total_quantity": Group.total_quantity + bindparam("quantity"),
    "intent_count": Group.intent_count + 1,
    "version": Group.version + 1,
}


def _enter(dialect_insert: Any) -> Any:
    """Count one more active intent of the consumer in the group (upsert); returns the count."""
    return (
        dialect_insert(Participant)
        .values(
            group_id=bindparam("group_id"),
            consumer_id=bindparam("consumer_id"),
            ref=bindparam("ref"),
            active_intents=1,
        )
        .on_conflict_do_update(
            index_elements=[Participant.group_id, Participant.consumer_id],
            set_={"active_intents": Participant.active_intents + 1},
        )
        .returning(Participant.active_intents)
    )


def _write_in_one(with_answer: bool) -> Any:
    """PostgreSQL: the join's writes as one statement. The participant is counted first (the
    totals' guard reads its count, so its row is locked before the group's, as in a withdrawal);
    the totals UPDATE keeps every guard and also refuses a consumer over the intent limit. All
    CTEs run to completion whatever the outcome: the caller rolls back a refused join."""
    participant = _enter(pg_insert).cte("participant")
    held = select(participant.c.active_intents).scalar_subquery()
    totals = (
        update(Group)
        .where(*_TAKES, held <= bindparam("max_intents"))
        .values(
            {**_BUMP, "participant_count": Group.participant_count + case((held == 1, 1), else_=0)}
        )
        .returning(Group.total_quantity, Group.best_price_reached)
        .cte("totals")
    )
    writes = [
        insert(Intent).values(_prefixed("intent", _INTENT)).cte("intent"),
        insert(Event)
        .values({**_prefixed("event", _EVENT), "tx": current_tx_of(postgres=True)})
        .cte("event"),
    ]
    if with_answer:
        answer = insert(IdempotencyKey).values(_prefixed("answer", _ANSWER))
        writes.append(answer.cte("answer"))
    return (
        select(participant.c.active_intents, totals.c.total_quantity, totals.c.best_price_reached)
        .select_from(participant.outerjoin(totals, true()))
        .add_cte(*writes)
    )


_GROUP_NOW = select(Group.status, Group.deadline, Group.max_quantity, Group.total_quantity).where(
    Group.id == bindparam("group_id")
)


def _write_params(pledge: Pledge, now: datetime) -> dict[str, Any]:
    intent = pledge.intent
    return {
        "group_id": intent["group_id"],
        "consumer_id": intent["consumer_id"],
        "ref": secrets.token_hex(8),
        "quantity": intent["quantity"],
        "now": now,
        **_params("intent", intent),
        **_params("event", pledge.event),
        **_params("answer", pledge.answer or {}),
    }


# --- PostgreSQL: asyncpg ---------------------------------------------------------------------

_PG_LOOKUP = {True: PgStatement(_LOCKING_LOOKUP), False: PgStatement(_LOOKUP)}
_PG_WRITE = {with_answer: PgStatement(_write_in_one(with_answer)) for with_answer in (False, True)}
_PG_FORGET = PgStatement(FORGET)
_PG_GROUP_NOW = PgStatement(_GROUP_NOW)
_PG_PRICE_REACHED = PgStatement(PRICE_REACHED)
_PG_EVENT = PgStatement(
    insert(Event).values({**_prefixed("event", _EVENT), "tx": current_tx_of(postgres=True)})
)
_ANSWER_KEY = "pk_idempotency_keys"


class PostgresJoin:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def lookup(self, group_id: uuid.UUID, key: dict[str, Any], claim: bool) -> Found:
        rows = await _PG_LOOKUP[claim].fetch(self.driver, {**key, "group_id": group_id})
        return _found(rows)

    async def forget_answer(self, key: dict[str, Any]) -> None:
        await _PG_FORGET.fetch(self.driver, key)

    async def record(self, pledge: Pledge, max_intents: int, now: datetime) -> Counted:
        params = _write_params(pledge, now)
        params["event_data"] = json.dumps(params["event_data"])  # asyncpg takes JSON as text
        params["max_intents"] = max_intents
        try:
            held, total, best = await _PG_WRITE[pledge.answer is not None].fetchrow(
                self.driver, params
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == _ANSWER_KEY:
                raise AnswerRace from exc
            raise
        return Counted(held, None if total is None else Totals(total, best))

    async def group_now(self, group_id: uuid.UUID) -> GroupNow:
        status, deadline, cap, total = await _PG_GROUP_NOW.fetchrow(
            self.driver, {"group_id": group_id}
        )
        return GroupNow(GroupStatus(status), deadline, cap, total)

    async def lower_price_reached(self, group_id: uuid.UUID, price: int) -> bool:
        moved = await _PG_PRICE_REACHED.fetchrow(
            self.driver, {"group_id": group_id, "price": price}
        )
        return moved is not None

    async def emit(self, events: Sequence[NewEvent]) -> None:
        rows = []
        for event in events:
            row = _params("event", event_row(event))
            row["event_data"] = json.dumps(row["event_data"])
            rows.append(row)
        await _PG_EVENT.executemany(self.driver, rows)


# --- SQLite: SQLAlchemy Core -----------------------------------------------------------------

_SQLITE_ENTER = _enter(sqlite_insert)
_SQLITE_INTENT = insert(Intent).values(_prefixed("intent", _INTENT))
_SQLITE_EVENT = insert(Event).values(
    {**_prefixed("event", _EVENT), "tx": current_tx_of(postgres=False)}
)
_SQLITE_ANSWER = insert(IdempotencyKey).values(_prefixed("answer", _ANSWER))
_SQLITE_TOTALS = (
    update(Group)
    .where(*_TAKES)
    .values({**_BUMP, "participant_count": Group.participant_count + bindparam("joined")})
    .returning(Group.total_quantity, Group.best_price_reached)
)


class SqliteJoin:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def lookup(self, group_id: uuid.UUID, key: dict[str, Any], claim: bool) -> Found:
        rows = (await self.connection.execute(_LOOKUP, {**key, "group_id": group_id})).all()
        return _found(rows)

    async def forget_answer(self, key: dict[str, Any]) -> None:
        await self.connection.execute(FORGET, key)

    async def record(self, pledge: Pledge, max_intents: int, now: datetime) -> Counted:
        params = _write_params(pledge, now)
        connection = self.connection
        held = (await connection.execute(_SQLITE_ENTER, params)).scalar_one()
        if held > max_intents:
            return Counted(held, None)
        await connection.execute(_SQLITE_INTENT, params)
        await connection.execute(_SQLITE_EVENT, params)
        if pledge.answer is not None:
            await connection.execute(_SQLITE_ANSWER, params)
        params["joined"] = int(held == 1)
        row = (await connection.execute(_SQLITE_TOTALS, params)).one_or_none()
        return Counted(held, None if row is None else Totals(row[0], row[1]))

    async def group_now(self, group_id: uuid.UUID) -> GroupNow:
        row = (await self.connection.execute(_GROUP_NOW, {"group_id": group_id})).one()
        return GroupNow(row[0], row[1], row[2], row[3])

    async def lower_price_reached(self, group_id: uuid.UUID, price: int) -> bool:
        return await lower_price_reached(self.connection, group_id, price)

    async def emit(self, events: Sequence[NewEvent]) -> None:
        await emit(self.connection, *events)
