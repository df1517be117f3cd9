"""Close benchmark: `POST /v1/groups/{id}/close` of one group of N intents, on a real `pool serve`.

    python -m bench.close [--intents 100000] [--consumers N/5] [--db pg|sqlite|both]
                          [--repeat 1] [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Per engine: a fresh database (PostgreSQL: `pool_bench_close_<random>` beside the --pg-url one,
dropped at the end; SQLite: a file in a temporary folder) built by the real migrations, a real
`pool serve` process (POOL_RUN_WORKER=false, loopback), a manufacturer made by
`app.accounts.service.create_account` and, per repeat, two campaign groups made through the HTTP
API with a 10-tier schedule. Their intents are then SEEDED IN BULK (not timed, not the join path):
N intents of --consumers consumers (several each) with quantities 1..5, limits uniform in
10.00..22.00 EUR and 24 delivery areas, one participants row per consumer (ref, active_intents),
and the groups' running totals set to match; the schedule is fitted to that demand so that the
clearing lands on the 7th tier (14.00 EUR) and rejects about a third of the intents. Then
PostgreSQL gets `VACUUM (ANALYZE)` and a CHECKPOINT, SQLite a WAL checkpoint, as a group that
has been open for days would have had.

Timed: the wall time of the owner's `POST /v1/groups/{id}/close` on the first group (its 200
comes after the commit of the clearing, the intents' outcomes, the order, its lines and the
per-intent events), and, as a second figure, `app.closing.service.close` called in this process
on the second group, with a per-statement breakdown. Afterwards the database is checked: the
group is confirmed at the price `app.pricing.clear_limits` computes from the seeded columns, the
order's line_count = its order_lines rows = the confirmed intents, its total_quantity = their
summed quantities, no intent is left active, every intent has its one event. Rows per second =
(intents updated + order lines + events written) / close seconds. Beside each wall time: the
database's CPU seconds and its seconds runnable but waiting for a CPU, from /proc/*/schedstat
(PostgreSQL: the bench database's backends; SQLite: the process that runs it), so that a figure
taken while other jobs load the machine can be read.

Prints readable lines and, last, one JSON object. Exit status 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.accounts.service import Principal, authenticate, create_account
from app.closing import service as closing
from app.db.engine import Database
from app.db.migrate import upgrade
from app.db.models import (
    Account,
    Event,
    Group,
    GroupStatus,
    Intent,
    IntentStatus,
    Order,
    OrderLine,
    Participant,
    Role,
)
from app.ids import new_id
from app.pricing import PricedOffer, TierSchedule, clear_limits

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TARGET_PG_SECONDS = 3
PRICES = [2000 - 100 * k for k in range(10)]  # the tiers' unit prices: 20.00 .. 11.00 EUR
CLEAR_TIER = 6  # the schedule is fitted so that the clearing lands here (14.00 EUR)
LIMITS = (1000, 2200)  # intents' max_unit_price, uniform
QUANTITIES = (1, 5)
AREAS = [f"area-{i:02d}" for i in range(24)]
SEED_CHUNK = 20_000
ENGINES = {"pg": "PostgreSQL", "sqlite": "SQLite"}


class BenchError(Exception):
    """A run could not be made (the server did not start, an answer was not the expected one)."""


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --- the demand -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    """The seeded columns of one group (the same for every group of a run)."""

    consumers: int
    quantities: list[int]
    limits: list[int]
    areas: list[str]

    @classmethod
    def make(cls, intents: int, consumers: int, seed: int) -> Demand:
        rnd = random.Random(seed)
        return cls(
            consumers=max(1, min(consumers, intents)),
            quantities=[rnd.randint(*QUANTITIES) for _ in range(intents)],
            limits=[rnd.randint(*LIMITS) for _ in range(intents)],
            areas=[rnd.choice(AREAS) for _ in range(intents)],
        )

    def tiers(self) -> list[dict[str, int]]:
        """10 tiers fitted to this demand: every tier up to CLEAR_TIER is reached at its own price
        (min_quantity 90% of the units willing to pay it), none after it (110%)."""
        tiers: list[dict[str, int]] = []
        for k, price in enumerate(PRICES):
            willing = sum(
                q for q, lim in zip(self.quantities, self.limits, strict=True) if lim >= price
            )
            share = 0.9 if k <= CLEAR_TIER else 1.1
            minimum = max(1, int(willing * share) + (k > CLEAR_TIER))
            if tiers and minimum <= tiers[-1]["min_quantity"]:
                minimum = tiers[-1]["min_quantity"] + 1
            tiers.append({"min_quantity": minimum, "unit_price": price})
        return tiers

    def expected(self, tiers: list[dict[str, int]]) -> dict[str, Any]:
        """The clearing the service must reach, computed by the pricing engine from the columns."""
        schedule = TierSchedule.from_tiers([(t["min_quantity"], t["unit_price"]) for t in tiers])
        result = clear_limits([PricedOffer(0, schedule, 0)], self.quantities, self.limits)
        return {
            "cleared": result.cleared,
            "unit_price": result.unit_price,
            "confirmed": result.accepted_count,
            "units": result.accepted_quantity,
        }


# --- HTTP and the server --------------------------------------------------------------------------


def connection(port: int, timeout: float = 900) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.connect()
    return conn


def request(
    conn: http.client.HTTPConnection, method: str, path: str, body: Any = None, key: str = ""
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    resp = conn.getresponse()
    raw = resp.read().decode()
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, raw


def call(port: int, method: str, path: str, body: Any = None, key: str = "") -> tuple[int, Any]:
    conn = connection(port, timeout=30)
    try:
        return request(conn, method, path, body, key)
    finally:
        conn.close()


def expect(answer: tuple[int, Any], want: int, what: str) -> Any:
    status, body = answer
    if status != want:
        raise BenchError(f"{what}: expected {want}, got {status}: {str(body)[:300]}")
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`pool serve` as a child process on a free loopback port."""

    def __init__(self, db_url: str, logfile: Path) -> None:
        self.port = free_port()
        self.logfile = logfile
        env = {
            **os.environ,
            "POOL_DATABASE_URL": db_url,
            "POOL_ADMIN_API_KEY": "pool_adm_bench_" + secrets.token_urlsafe(18),
            "POOL_HOST": "127.0.0.1",
            "POOL_PORT": str(self.port),
            "POOL_RUN_WORKER": "false",
            "POOL_LOG_LEVEL": "warning",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        with logfile.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "pool"), "serve"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"pool serve exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if call(self.port, "GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise BenchError(f"pool serve did not answer /healthz within 120 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def sched(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of all threads of a process."""
    cpu = wait = 0.0
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                run, delay = task.joinpath("schedstat").read_text().split()[:2]
                cpu, wait = cpu + int(run) / 1e9, wait + int(delay) / 1e9
    return cpu, wait


async def pg_backend_pids(url: str) -> list[int]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(pid) for (pid,) in rows]
    finally:
        await engine.dispose()


@dataclass
class Usage:
    """What one close cost the machine, besides its wall time."""

    python_cpu: float  # the process that ran the close's Python (the server, or this one)
    db_cpu: float  # the database: PostgreSQL backends of the bench database, or SQLite's process
    db_wait: float  # ... and its time runnable but waiting for a CPU (others' load)
    machine_busy: float  # share of all CPUs busy meanwhile, whoever used them


class Meter:
    """Snapshots of schedstat around a close: of `pid` and, on PostgreSQL, of the backends."""

    def __init__(self, url: str, pid: int, backends: list[int] | None = None) -> None:
        """`backends`: the PostgreSQL backends to watch; by default all of the bench database's
        (queried at each snapshot, so that a connection opened meanwhile counts too)."""
        self.url, self.pid, self.backends = url, pid, backends
        self.is_pg = make_url(url).get_backend_name() == "postgresql"

    def _snapshot(self) -> tuple[tuple[float, float], dict[int, tuple[float, float]]]:
        pids = self.backends
        if pids is None:
            pids = asyncio.run(pg_backend_pids(self.url)) if self.is_pg else []
        return sched(self.pid), {p: sched(p) for p in pids}

    def start(self) -> None:
        self.busy0 = machine_busy()
        self.own0, self.db0 = self._snapshot()

    def stop(self) -> Usage:
        busy1 = machine_busy()
        own1, db1 = self._snapshot()
        python_cpu, python_wait = own1[0] - self.own0[0], own1[1] - self.own0[1]
        if self.is_pg:
            zero = (0.0, 0.0)
            db_cpu = sum(v[0] - self.db0.get(p, zero)[0] for p, v in db1.items())
            db_wait = sum(v[1] - self.db0.get(p, zero)[1] for p, v in db1.items())
        else:
            db_cpu, db_wait = python_cpu, python_wait
        busy = (busy1[0] - self.busy0[0]) / max(1, busy1[1] - self.busy0[1])
        return Usage(python_cpu, db_cpu, db_wait, busy)


# --- databases ------------------------------------------------------------------------------------


async def pg_admin(url: str, *statements: str) -> None:
    """Statements outside any transaction (CREATE/DROP DATABASE, VACUUM, CHECKPOINT)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def sqlite_checkpoint(url: str) -> None:
    path = make_url(url).database
    conn = sqlite3.connect(str(path), timeout=60)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()


def settle_storage(url: str) -> None:
    """What days of autovacuum or checkpoints would have done to the seeded rows."""
    if make_url(url).get_backend_name() == "sqlite":
        sqlite_checkpoint(url)
        return
    statements = ("VACUUM (ANALYZE) accounts, groups, participants, intents", "CHECKPOINT")
    asyncio.run(pg_admin(url, *statements))


# --- seeding (not timed) --------------------------------------------------------------------------


async def seed_accounts(url: str, consumers: int) -> tuple[str, Principal, list[uuid.UUID]]:
    """The manufacturer (by the service: its key) and the consumers (bulk rows, no keys)."""
    db = Database(url, pool_size=2)
    try:
        maker = await create_account(db, Role.manufacturer, "bench manufacturer")
        principal = await authenticate(db, maker.api_key)
        assert principal is not None
        ids = [new_id() for _ in range(consumers)]
        now = datetime.now(UTC)
        async with db.write() as session:
            for start in range(0, consumers, SEED_CHUNK):
                rows = [
                    {
                        "id": i,
                        "role": Role.consumer,
                        "name": f"bench consumer {n}",
                        "created_at": now,
                    }
                    for n, i in enumerate(ids[start : start + SEED_CHUNK], start)
                ]
                await session.execute(insert(Account.__table__), rows)
            await session.commit()
        return maker.api_key, principal, ids
    finally:
        await db.dispose()


async def seed_groups(
    url: str, group_ids: list[uuid.UUID], consumers: list[uuid.UUID], demand: Demand
) -> None:
    """N intents per group (consumer i % C), one participants row per consumer, the totals."""
    db = Database(url, pool_size=2)
    now = datetime.now(UTC)
    count = len(demand.quantities)
    held = Counter(n % len(consumers) for n in range(count))
    try:
        for group_id in group_ids:
            async with db.write() as session:
                participants = [
                    {
                        "group_id": group_id,
                        "consumer_id": consumers[c],
                        "ref": secrets.token_hex(8),
                        "active_intents": held[c],
                    }
                    for c in sorted(held)
                ]
                for start in range(0, len(participants), SEED_CHUNK):
                    chunk = participants[start : start + SEED_CHUNK]
                    await session.execute(insert(Participant.__table__), chunk)
                for start in range(0, count, SEED_CHUNK):
                    rows = []
                    for n in range(start, min(count, start + SEED_CHUNK)):
                        created = now - timedelta(seconds=count - n)
                        rows.append(
                            {
                                "id": new_id(),
                                "group_id": group_id,
                                "consumer_id": consumers[n % len(consumers)],
                                "quantity": demand.quantities[n],
                                "max_unit_price": demand.limits[n],
                                "delivery_area": demand.areas[n],
                                "status": IntentStatus.active,
                                "reason": None,
                                "unit_price": None,
                                "created_at": created,
                                "updated_at": created,
                            }
                        )
                    await session.execute(insert(Intent.__table__), rows)
                await session.execute(
                    update(Group)
                    .where(Group.id == group_id)
                    .values(
                        total_quantity=sum(demand.quantities),
                        intent_count=count,
                        participant_count=len(held),
                        version=Group.version + count,
                    )
                )
                await session.commit()
    finally:
        await db.dispose()


def create_groups(port: int, key: str, tiers: list[dict[str, int]], count: int) -> list[uuid.UUID]:
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "title": "bench close",
        "currency": "EUR",
        "deadline": deadline,
        "offer": {"currency": "EUR", "tiers": tiers},
    }
    ids = []
    for _ in range(count):
        out = expect(call(port, "POST", "/v1/groups", body, key), 201, "create group")
        ids.append(uuid.UUID(out["id"]))
    return ids


# --- timing the close -----------------------------------------------------------------------------


def close_over_http(port: int, key: str, group_id: uuid.UUID) -> tuple[float, dict[str, Any]]:
    """Seconds from sending the owner's close until its answer (sent after the commit)."""
    conn = connection(port)
    try:
        started = time.perf_counter()
        answer = request(conn, "POST", f"/v1/groups/{group_id}/close", None, key)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    body = expect(answer, 200, "close")
    return seconds, body


@dataclass
class Trace:
    """Per statement of the in-process close: (what, seconds); 'commit' is the commit's wait."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    mark: float = 0.0
    what: str = ""

    def attach(self, db: Database) -> None:
        engine = db.writer.sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(_c: Any, _cur: Any, statement: str, params: Any, *_args: Any) -> None:
            self._end_commit()
            self.what, self.mark = label(statement, params), time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(*_args: Any) -> None:
            self.steps.append((self.what, time.perf_counter() - self.mark))
            self.what = ""

        @event.listens_for(engine, "commit")
        def _commit(_conn: Any) -> None:
            self.what, self.mark = "COMMIT", time.perf_counter()

    def _end_commit(self) -> None:
        if self.what == "COMMIT":
            self.steps.append(("COMMIT", time.perf_counter() - self.mark))
            self.what = ""

    def finish(self) -> None:
        self._end_commit()


def label(statement: str, params: Any) -> str:
    """A short name for a statement of the close."""
    words = " ".join(statement.split())
    upper = words.upper()
    if upper.startswith("INSERT INTO EVENTS") and "FROM INTENTS" in upper:
        kind = next((p for p in _flat(params) if str(p).startswith("intent.")), "intent.?")
        return f"INSERT INTO events … SELECT ({kind})"
    if upper.startswith("INSERT INTO ORDER_LINES"):
        return "INSERT INTO order_lines … SELECT"
    if upper.startswith("UPDATE INTENTS"):
        return "UPDATE intents → " + ("confirmed" if "unit_price" in words else "rejected")
    return words[:70]


def _flat(params: Any) -> list[Any]:
    if isinstance(params, dict):
        return list(params.values())
    if isinstance(params, (list, tuple)):
        return list(params)
    return []


async def close_in_process(
    url: str, principal: Principal, group_id: uuid.UUID
) -> tuple[float, Usage, Trace]:
    """`app.closing.service.close` in this process, on one warm pooled connection."""
    db = Database(url, pool_size=1)
    trace = Trace()
    try:
        backends = []
        async with db.writer.connect() as conn:  # warm, and the backend it runs in
            if not db.is_sqlite:
                backends.append(int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0))
        meter = Meter(url, os.getpid(), backends)
        trace.attach(db)
        meter.start()
        started = time.perf_counter()
        await closing.close(db, principal, group_id)
        seconds = time.perf_counter() - started
        usage = meter.stop()
        trace.finish()
        return seconds, usage, trace
    finally:
        await db.dispose()


# --- the check ------------------------------------------------------------------------------------


async def check(url: str, group_id: uuid.UUID, want: dict[str, Any], count: int) -> dict[str, Any]:
    db = Database(url, pool_size=2)
    try:
        async with db.read() as s:
            group = (await s.scalars(select(Group).where(Group.id == group_id))).one()
            order = (await s.scalars(select(Order).where(Order.group_id == group_id))).one_or_none()
            lines = 0
            if order is not None:
                lines = await s.scalar(
                    select(func.count())
                    .select_from(OrderLine)
                    .where(OrderLine.order_id == order.id)
                )
            by_status = {
                IntentStatus(st): (int(n), int(q or 0), lo, hi)
                for st, n, q, lo, hi in await s.execute(
                    select(
                        Intent.status,
                        func.count(),
                        func.sum(Intent.quantity),
                        func.min(Intent.max_unit_price),
                        func.max(Intent.max_unit_price),
                    )
                    .where(Intent.group_id == group_id)
                    .group_by(Intent.status)
                )
            }
            events = dict(
                (
                    await s.execute(
                        select(Event.type, func.count())
                        .where(Event.group_id == group_id, Event.type.like("intent.%"))
                        .group_by(Event.type)
                    )
                ).all()
            )
    finally:
        await db.dispose()
    confirmed, units, lowest, _ = by_status.get(IntentStatus.confirmed, (0, 0, None, None))
    rejected, _, _, highest = by_status.get(IntentStatus.rejected, (0, 0, None, None))
    price = want["unit_price"]
    problems = []
    if group.status != GroupStatus.confirmed or group.clearing_price != price:
        problems.append(
            f"group {group.status} at {group.clearing_price}, expected confirmed at {price}"
        )
    if order is None:
        problems.append("no order")
    elif not order.line_count == lines == confirmed == want["confirmed"]:
        problems.append(
            f"order line_count {order.line_count}, order_lines {lines}, confirmed intents "
            f"{confirmed}, the engine's {want['confirmed']}"
        )
    if (
        order is not None
        and not order.total_quantity == units == want["units"] == group.accepted_quantity
    ):
        problems.append(f"order total_quantity {order.total_quantity}, confirmed units {units}")
    if confirmed + rejected != count:
        problems.append(f"{count - confirmed - rejected} intents neither confirmed nor rejected")
    if (lowest is not None and lowest < price) or (highest is not None and highest >= price):
        problems.append(f"an intent on the wrong side of {price}: {lowest=} {highest=}")
    if (
        events.get("intent.confirmed", 0) != confirmed
        or events.get("intent.rejected", 0) != rejected
    ):
        problems.append(f"intent events {events}, expected {confirmed} + {rejected}")
    return {
        "ok": not problems,
        "problems": problems,
        "confirmed": confirmed,
        "rejected": rejected,
        "lines": lines,
        "events": sum(events.values()),
        "units": units,
        "unit_price": group.clearing_price,
    }


# --- one engine -----------------------------------------------------------------------------------


@dataclass
class Figures:
    http_seconds: list[float] = field(default_factory=list)
    inprocess_seconds: list[float] = field(default_factory=list)
    http_usage: list[Usage] = field(default_factory=list)
    inprocess_usage: list[Usage] = field(default_factory=list)
    seed_seconds: list[float] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    traces: list[Trace] = field(default_factory=list)


def fresh_database(engine: str, args: argparse.Namespace, work: Path) -> tuple[str, str]:
    """(url, name) of an empty database for this engine."""
    if engine == "sqlite":
        path = work / "close.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite+aiosqlite:///{path}", str(path)
    name = f"pool_bench_close_{secrets.token_hex(4)}"
    asyncio.run(pg_admin(args.pg_url, f'CREATE DATABASE "{name}"'))
    url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def run_engine(engine: str, args: argparse.Namespace, demand: Demand, work: Path) -> Figures:
    url, name = fresh_database(engine, args, work)
    log(f"{ENGINES[engine]}: database {name}")
    server: Server | None = None
    figures = Figures()
    count = len(demand.quantities)
    try:
        upgrade(url)
        server = Server(url, work / f"serve-{engine}.log")
        started = time.perf_counter()
        key, principal, consumers = asyncio.run(seed_accounts(url, demand.consumers))
        tiers = demand.tiers()
        want = demand.expected(tiers)
        if not want["cleared"]:
            raise BenchError(f"this demand does not clear (too few intents?): {want}")
        for rnd in range(1, args.repeat + 1):
            if rnd > 1:
                started = time.perf_counter()
            http_group, local_group = create_groups(server.port, key, tiers, 2)
            asyncio.run(seed_groups(url, [http_group, local_group], consumers, demand))
            settle_storage(url)
            figures.seed_seconds.append(time.perf_counter() - started)
            log(
                f"{ENGINES[engine]} run {rnd}: seeded 2 groups x {count} intents of "
                f"{demand.consumers} consumers in {figures.seed_seconds[-1]:.1f} s (not timed)"
            )

            meter = Meter(url, server.proc.pid)
            meter.start()
            seconds, body = close_over_http(server.port, key, http_group)
            usage = meter.stop()
            if body.get("status") != "confirmed":
                raise BenchError(f"close answered {body}")
            result = asyncio.run(check(url, http_group, want, count))
            figures.http_seconds.append(seconds)
            figures.http_usage.append(usage)
            figures.checks.append(result)
            rows = count + result["lines"] + result["events"]
            print(
                f"{ENGINES[engine]:<10} run {rnd}  HTTP close       {seconds:7.3f} s"
                f"  {rows / seconds:7.0f} rows/s  {costs(usage)}  check {verdict(result)}",
                flush=True,
            )
            print(
                f"{'':<10}        confirmed {result['confirmed']}, rejected {result['rejected']}"
                f" at {result['unit_price']}, {result['lines']} order lines, {result['events']}"
                " intent events",
                flush=True,
            )

            seconds, usage, trace = asyncio.run(close_in_process(url, principal, local_group))
            result = asyncio.run(check(url, local_group, want, count))
            figures.inprocess_seconds.append(seconds)
            figures.inprocess_usage.append(usage)
            figures.checks.append(result)
            figures.traces.append(trace)
            print(
                f"{ENGINES[engine]:<10} run {rnd}  in-process close {seconds:7.3f} s"
                f"  {rows / seconds:7.0f} rows/s  {costs(usage)}  check {verdict(result)}",
                flush=True,
            )
            for what, spent in trace.steps:
                if spent >= 0.002:
                    print(f"    {spent:7.3f} s  {what}")
    finally:
        if server is not None:
            server.stop()
        if engine == "pg":
            with contextlib.suppress(Exception):
                asyncio.run(pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return figures


def costs(usage: Usage) -> str:
    return (
        f"(database CPU {usage.db_cpu:.2f} s + waiting for a CPU {usage.db_wait:.2f} s;"
        f" Python CPU {usage.python_cpu:.2f} s; machine {100 * usage.machine_busy:.0f}% busy)"
    )


def verdict(result: dict[str, Any]) -> str:
    return "OK" if result["ok"] else "FAILED: " + "; ".join(result["problems"])


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summary(figures: Figures, count: int) -> dict[str, Any]:
    first = figures.checks[0]
    seconds = statistics.median(figures.http_seconds)
    rows = count + first["lines"] + first["events"]
    return {
        "close_seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "confirmed": first["confirmed"],
        "rejected": first["rejected"],
        "lines": first["lines"],
        "check_ok": all(c["ok"] for c in figures.checks),
        "unit_price": first["unit_price"],
        "rows_written": rows,
        "inprocess_close_seconds": round(statistics.median(figures.inprocess_seconds), 3),
        "http_close_seconds_runs": [round(s, 3) for s in figures.http_seconds],
        "inprocess_close_seconds_runs": [round(s, 3) for s in figures.inprocess_seconds],
        "db_cpu_seconds": _median([u.db_cpu for u in figures.http_usage]),
        "db_cpu_wait_seconds": _median([u.db_wait for u in figures.http_usage]),
        "server_python_cpu_seconds": _median([u.python_cpu for u in figures.http_usage]),
        "inprocess_db_cpu_seconds": _median([u.db_cpu for u in figures.inprocess_usage]),
        "machine_busy_pct": round(
            100 * statistics.median(u.machine_busy for u in figures.http_usage)
        ),
        "seed_seconds": round(statistics.median(figures.seed_seconds), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--intents", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, help="default: intents / 5")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=1, help="random seed of the demand")
    args = parser.parse_args(argv)
    if args.intents < 10 or args.repeat < 1:
        parser.error("--intents must be at least 10 and --repeat at least 1")
    consumers = args.consumers or max(1, args.intents // 5)

    def stop_on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    engines = ["pg", "sqlite"] if args.db == "both" else [args.db]
    demand = Demand.make(args.intents, consumers, args.seed)
    work = Path(tempfile.mkdtemp(prefix="pool-bench-close-"))
    results: dict[str, Any] = {}
    failures: list[str] = []
    try:
        for engine in engines:
            try:
                figures = run_engine(engine, args, demand, work)
            except (BenchError, OSError, subprocess.SubprocessError) as e:
                failures.append(f"{engine}: {e}")
                log(f"FAILED {engine}: {e}")
                results[engine] = {"error": str(e)[:500], "check_ok": False}
                continue
            results[engine] = summary(figures, args.intents)
            if not results[engine]["check_ok"]:
                failures.append(f"{engine}: check failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"{'engine':<10} {'close (HTTP)':>12} {'in-process':>10} {'rows/s':>9} "
        f"{'confirmed':>9} {'rejected':>8} {'lines':>7}  check"
    )
    for engine, r in results.items():
        if "error" in r:
            print(f"{ENGINES[engine]:<10} error: {r['error'][:100]}")
            continue
        http_s, local_s = r["close_seconds"], r["inprocess_close_seconds"]
        print(
            f"{ENGINES[engine]:<10} {http_s:>10.3f} s {local_s:>8.3f} s"
            f" {r['rows_per_second']:>9} {r['confirmed']:>9} {r['rejected']:>8} {r['lines']:>7}"
            f"  {'OK' if r['check_ok'] else 'FAILED'}"
        )
    pg = results.get("pg", {})
    if "close_seconds" in pg:
        met = pg["close_seconds"] <= TARGET_PG_SECONDS
        print(
            f"target ({args.intents} intents closed on PostgreSQL in <= {TARGET_PG_SECONDS} s): "
            f"{'met' if met else 'NOT met'} ({pg['close_seconds']:.2f} s)"
        )
    for failure in failures:
        print(f"FAILED {failure}")
    out = {
        "intents": args.intents,
        "consumers": consumers,
        "repeat": args.repeat,
        "results": results,
        "target_pg_seconds": TARGET_PG_SECONDS,
        "env": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
    }
    print(json.dumps(out))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
