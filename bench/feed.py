"""Feed benchmark: the change feed and webhook deliveries of a real `pool serve` while joins run.

    python -m bench.feed [--db pg|sqlite|both] [--seconds 15] [--join-rate 200] [--concurrency 8]
                         [--groups 10] [--consumers 8] [--drain 30] [--firehose]
                         [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Per engine: a fresh database (PostgreSQL: `pool_bench_feed_<random>` beside the --pg-url one,
dropped at the end; SQLite: a file in a temporary folder), a real `pool serve` on a free loopback
port with its worker in-process (POOL_RUN_WORKER=true, POOL_WORKER_POLL_SECONDS=0.05,
POOL_WEBHOOK_ALLOW_PRIVATE=true, POOL_WEBHOOK_RETRY_SCHEDULE=1,1,1). Through the API: a
manufacturer, --consumers consumers and --groups campaigns whose 50-tier ladders are spaced so
that the expected volume walks down about 40 tiers of each during the load (a steady stream of
public `group.tier_reached` events). The manufacturer registers a webhook endpoint for `["*"]`
pointing at a tiny HTTP receiver run by this process (its own thread and event loop on
127.0.0.1:0; it answers 204 and records the arrival time, the `webhook-id` and the raw body).
With --firehose an admin registers a second endpoint, which receives every event.

The load: --join-rate joins per second (`POST /v1/groups/{id}/intents`, quantity 1..3, spread
over the groups and consumers), for --seconds, paced by a schedule over --concurrency
connections (bounded: at most rate x seconds joins, none started after --seconds; when the server
falls behind the schedule, the joins that did not fit are counted as skipped).

Measured:
- the feed: an admin (who sees every event) long-polls `GET /v1/events?after=…&limit=500&wait=1`
  during the load and after it until it has read every stored event: events read per second of
  load, how many stored events it had not read yet when the load ended, how long it took to catch
  up, and per event the lag from its `created_at` to the page's arrival. Then the whole feed is
  read again from the start, `limit=500`, `wait=0`, as fast as one client can (the catch-up
  rate, median of 3 reads), as the admin and as the manufacturer (who sees only public events
  and its own). Also counted: events served after one with a larger id (PostgreSQL orders the
  feed by writing transaction, not by id).
- webhooks: for every delivery the receiver got, lag = arrival - the event's `timestamp` (its
  `created_at`, taken in the writing transaction shortly before its commit); p50/p99/max over
  the first arrival of each expected event. Expected = the events the endpoint may see
  (public ones and its account's own; all for an admin) created after the endpoint. Every
  delivery's signature is verified with `standardwebhooks`. The receiver waits up to --drain
  seconds after the load for the last expected delivery.
- checks: the feed served every stored event exactly once, the deliveries carried valid
  signatures and only expected events. Exit status 1 if one failed.

Prints readable lines and, last, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.db.engine import Database
from app.db.models import Event

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
ENGINES = {"pg": "PostgreSQL", "sqlite": "SQLite"}
THROTTLED: dict[int, int] = {}  # feed reads answered 429/503 (then retried after Retry-After)
TIERS = 50  # the most a ladder may have
TOP_PRICE = 5000  # first tier's unit price; each further tier 50 cents less
LIMIT = TOP_PRICE  # every join's max_unit_price: never refused for its price
PAGE = 500
PER_GROUP = 15  # most joins of one consumer in one group (the service allows 20 active intents)
WORKER_ENV = {
    "POOL_RUN_WORKER": "true",
    "POOL_WORKER_POLL_SECONDS": "0.05",
    "POOL_WEBHOOK_ALLOW_PRIVATE": "true",
    "POOL_WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    # The per-key request budgets are a policy, not a cost: one follower polling a busy feed,
    # or a long run, would otherwise measure them. (Ignored by a service without them.)
    "POOL_RATE_LIMITS_ENABLED": "false",
}


class BenchError(Exception):
    """A run could not be made (the server did not start, an answer was not the expected one)."""


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p99/max in milliseconds (nearest rank), of values in seconds."""
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {k: round(1000 * rank(p), 1) for k, p in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))}


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- the server -----------------------------------------------------------------------------------


class Server:
    """`pool serve` as a child process on a free loopback port, its worker in-process."""

    def __init__(self, db_url: str, logfile: Path) -> None:
        self.port = free_port()
        self.admin_key = "pool_adm_bench_" + secrets.token_urlsafe(18)
        self.logfile = logfile
        env = {
            **os.environ,
            **WORKER_ENV,
            "POOL_DATABASE_URL": db_url,
            "POOL_ADMIN_API_KEY": self.admin_key,
            "POOL_HOST": "127.0.0.1",
            "POOL_PORT": str(self.port),
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
        deadline = time.monotonic() + 120  # it migrates first
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"pool serve exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise BenchError(f"pool serve did not answer /healthz within 120 s:\n{self.log_tail()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-30:])

    def peak_rss_mb(self) -> float:
        """VmHWM: the resident set's high-water mark of the server process."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the webhook receiver -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # time.time() once the whole request was read
    path: str
    webhook_id: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A minimal HTTP/1.1 server (keep-alive, Content-Length bodies) on 127.0.0.1:0, in its own
    thread and event loop so that the load's tasks never delay an arrival's timestamp. It answers
    every request 204 and records it."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-receiver", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise BenchError(f"the webhook receiver did not start: {self._error}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                path = request_line.split(" ")[1] if request_line.count(" ") >= 2 else ""
                headers = {}
                for line in lines:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                arrived = time.time()
                webhook_id = headers.get("webhook-id", "")
                self.arrivals.append(Arrival(arrived, path, webhook_id, headers, body))
                writer.write(b"HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except asyncio.CancelledError:
            return  # the receiver is stopping: end quietly (nothing awaits this task)
        finally:
            writer.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


# --- databases ------------------------------------------------------------------------------------


async def pg_admin(url: str, statement: str) -> None:
    """One statement outside any transaction (CREATE/DROP DATABASE)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def fresh_database(engine: str, args: argparse.Namespace, work: Path) -> tuple[str, str]:
    """(url, name) of an empty database for this engine."""
    if engine == "sqlite":
        path = work / "feed.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite+aiosqlite:///{path}", str(path)
    name = f"pool_bench_feed_{secrets.token_hex(4)}"
    asyncio.run(pg_admin(args.pg_url, f'CREATE DATABASE "{name}"'))
    return make_url(args.pg_url).set(database=name).render_as_string(hide_password=False), name


async def stored_ids(
    db: Database, *, since: datetime | None = None, account: uuid.UUID | None = None
) -> set[int]:
    """Ids of the stored events; with ``since``, those an endpoint of ``account`` (None: an
    admin's) created at ``since`` receives."""
    query = select(Event.id)
    if since is not None:
        query = query.where(Event.created_at >= since)
    if account is not None:
        query = query.where(or_(Event.account_id.is_(None), Event.account_id == account))
    async with db.read() as session:
        return set((await session.scalars(query)).all())


# The age of the oldest transaction holding a transaction id, in this database and in the
# others of the server: the feed serves an event only once every older one of them has ended.
HORIZON_SQL = """
SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start))
                FILTER (WHERE datname = current_database()), 0),
       coalesce(max(extract(epoch FROM clock_timestamp() - xact_start))
                FILTER (WHERE datname IS DISTINCT FROM current_database()), 0)
FROM pg_stat_activity WHERE backend_xid IS NOT NULL
"""


async def sample_horizon(url: str, stop: asyncio.Event, into: dict[str, list[float]]) -> None:
    """Every 0.1 s until ``stop``: how old the server's oldest write transactions are."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            while not stop.is_set():
                this_db, other_dbs = (await conn.execute(text(HORIZON_SQL))).one()
                into["this_db"].append(float(this_db))
                into["other_dbs"].append(float(other_dbs))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)
    finally:
        await engine.dispose()


async def event_count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


# --- the API --------------------------------------------------------------------------------------


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def post(client: httpx.AsyncClient, path: str, body: Any, key: str, what: str) -> Any:
    resp = await client.post(path, json=body, headers=auth(key))
    if resp.status_code != 201:
        raise BenchError(f"{what}: expected 201, got {resp.status_code}: {resp.text[:300]}")
    return resp.json()


def tier_step(args: argparse.Namespace) -> int:
    """Units between tiers, so that the planned joins reach about --tier-rate tiers per second
    over all groups, and never run out of tiers."""
    units = args.join_rate * args.seconds * 2 / args.groups  # per group; quantities 1..3
    wanted = max(1.0, args.tier_rate * args.seconds / args.groups)  # tier events per group
    return max(1, round(units / wanted), math.ceil(units / (TIERS - 5)))


def ladder(step: int, n: int, groups: int) -> list[dict[str, int]]:
    """Group ``n``'s 50 tiers: the first at 1 unit, then every ``step`` units from an offset of
    its own, so that the groups (which grow in step) reach their tiers in turn, not together:
    a steady stream of `group.tier_reached`, not bursts."""
    offset = n * step // groups
    return [
        {"min_quantity": 1 if k == 0 else offset + k * step, "unit_price": TOP_PRICE - 50 * k}
        for k in range(TIERS)
    ]


def consumers_needed(args: argparse.Namespace) -> int:
    """Enough consumers that none holds more than PER_GROUP intents in one group."""
    joins = round(args.join_rate * args.seconds)
    return max(args.consumers, math.ceil(joins / (args.groups * PER_GROUP)))


@dataclass
class Setup:
    manufacturer_key: str
    manufacturer_id: uuid.UUID
    consumer_keys: list[str]
    groups: list[str]
    step: int


async def make_accounts_and_groups(
    client: httpx.AsyncClient, admin: str, args: argparse.Namespace
) -> Setup:
    maker = await post(
        client, "/v1/accounts", {"role": "manufacturer", "name": "bench maker"}, admin, "maker"
    )
    consumers = [
        (
            await post(
                client,
                "/v1/accounts",
                {"role": "consumer", "name": f"bench consumer {n}"},
                admin,
                "consumer",
            )
        )["api_key"]
        for n in range(consumers_needed(args))
    ]
    step = tier_step(args)
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    groups = []
    for n in range(args.groups):
        body = {
            "title": f"bench feed {n}",
            "currency": "EUR",
            "deadline": deadline,
            "offer": {"currency": "EUR", "tiers": ladder(step, n, args.groups)},
        }
        groups.append((await post(client, "/v1/groups", body, maker["api_key"], "group"))["id"])
    return Setup(
        maker["api_key"],
        uuid.UUID(maker["id"]),
        consumers,
        groups,
        step,
    )


@dataclass
class Hook:
    """A registered endpoint and what the receiver got for it."""

    name: str
    endpoint_id: str
    secret: str
    created_at: datetime
    account: uuid.UUID | None  # None: an admin's (every event)
    expected: set[int] = field(default_factory=set)


async def register(
    client: httpx.AsyncClient, key: str, port: int, name: str, account: uuid.UUID | None
) -> Hook:
    body = {"url": f"http://127.0.0.1:{port}/hook/{name}", "event_types": ["*"]}
    out = await post(client, "/v1/webhook-endpoints", body, key, f"webhook endpoint ({name})")
    if not out.get("secret"):
        raise BenchError(f"the endpoint answer has no secret: {out}")
    return Hook(name, out["id"], out["secret"], datetime.fromisoformat(out["created_at"]), account)


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Joins:
    started: int = 0
    ok: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    skipped: int = 0  # scheduled, never started: the server fell too far behind


async def join_load(
    client: httpx.AsyncClient, setup: Setup, args: argparse.Namespace, joins: Joins
) -> float:
    """Paced joins over --concurrency connections; returns the seconds the load lasted."""
    loop = asyncio.get_running_loop()
    total = round(args.join_rate * args.seconds)
    start = loop.time()
    latest = start + args.seconds  # a join due then that has not started is skipped
    next_index = iter(range(total))
    n_groups, n_consumers = len(setup.groups), len(setup.consumer_keys)

    async def worker() -> None:
        for i in next_index:
            delay = start + i / args.join_rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif loop.time() >= latest:
                joins.skipped += 1
                continue
            group = setup.groups[i % n_groups]
            key = setup.consumer_keys[(i // n_groups) % n_consumers]
            body = {"quantity": 1 + i % 3, "max_unit_price": LIMIT}
            joins.started += 1
            sent = loop.time()
            try:
                resp = await client.post(
                    f"/v1/groups/{group}/intents", json=body, headers=auth(key)
                )
                status = str(resp.status_code)
            except httpx.HTTPError as e:
                status = type(e).__name__
            joins.latencies.append(loop.time() - sent)
            joins.statuses[status] = joins.statuses.get(status, 0) + 1
            joins.ok += status == "201"

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    return loop.time() - start


@dataclass
class Follower:
    """The admin's long-polling reader of the feed."""

    cursor: str | None = None
    ids: list[int] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # per event: its page's time.time()
    lags: list[float] = field(default_factory=list)  # page arrival - event created_at, seconds
    requests: int = 0
    target: int | None = None  # events to read before stopping (set once the load is over)

    def caught_up_at(self) -> float | None:
        """When the page holding the target-th event arrived."""
        if self.target is None or len(self.ids) < self.target:
            return None
        return self.arrived[self.target - 1] if self.target else None


async def read_page(
    client: httpx.AsyncClient, key: str, cursor: str | None, wait: int
) -> tuple[list[dict[str, Any]], str | None, float]:
    params: dict[str, Any] = {"limit": PAGE, "wait": wait}
    if cursor:
        params["after"] = cursor
    for _ in range(30):
        resp = await client.get("/v1/events", params=params, headers=auth(key), timeout=wait + 30)
        if resp.status_code not in (429, 503):
            break
        THROTTLED[resp.status_code] = THROTTLED.get(resp.status_code, 0) + 1
        await asyncio.sleep(float(resp.headers.get("retry-after", "1")))
    arrived = time.time()
    if resp.status_code != 200:
        raise BenchError(f"GET /v1/events: {resp.status_code}: {resp.text[:300]}")
    page = resp.json()
    return page["data"], page["next_cursor"] or cursor, arrived


async def follow(
    client: httpx.AsyncClient, key: str, state: Follower, give_up: asyncio.Event
) -> None:
    """Long-poll until ``state.target`` events were read (or ``give_up``)."""
    while not give_up.is_set():
        if state.target is not None and len(state.ids) >= state.target:
            return
        events, state.cursor, arrived = await read_page(client, key, state.cursor, wait=1)
        state.requests += 1
        for e in events:
            state.ids.append(e["id"])
            state.arrived.append(arrived)
            state.lags.append(arrived - parse_time(e["created_at"]))


async def catch_up(client: httpx.AsyncClient, key: str) -> tuple[int, float, int]:
    """The whole feed from the start, page after page, no waiting: (events, seconds, pages)."""
    count, pages, cursor = 0, 0, None
    started = time.perf_counter()
    while True:
        events, cursor, _ = await read_page(client, key, cursor, wait=0)
        count, pages = count + len(events), pages + 1
        if len(events) < PAGE:
            return count, time.perf_counter() - started, pages


async def delivery_records(client: httpx.AsyncClient, key: str, hook: Hook) -> dict[str, Any]:
    """What the service recorded for the endpoint's deliveries: statuses, attempts, and the
    first failed attempt's error when one was retried."""
    statuses: dict[str, int] = {}
    attempts, retried, cursor, example = 0, 0, None, None
    fanned_out: dict[int, float] = {}  # event id -> when its delivery was created
    path = f"/v1/webhook-endpoints/{hook.endpoint_id}/deliveries"
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(path, params=params, headers=auth(key))
        if resp.status_code != 200:
            raise BenchError(f"GET {path}: {resp.status_code}: {resp.text[:300]}")
        page = resp.json()
        for d in page["data"]:
            statuses[d["status"]] = statuses.get(d["status"], 0) + 1
            attempts += d["attempts"]
            fanned_out[d["event_id"]] = parse_time(d["created_at"])
            if d["attempts"] > 1:
                retried += 1
                example = example or d["id"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    error = None
    if example:
        resp = await client.get(f"{path}/{example}/attempts", headers=auth(key))
        failed = [a for a in resp.json().get("data", []) if a.get("error") or a["status_code"]]
        failed = [a for a in failed if not 200 <= (a["status_code"] or 0) < 300]
        error = (failed[-1].get("error") or str(failed[-1]["status_code"])) if failed else None
    return {
        "statuses": statuses,
        "attempts": attempts,
        "retried": retried,
        "retry_error": error,
        "fanned_out": fanned_out,
    }


# --- one engine -----------------------------------------------------------------------------------


def hook_figures(
    hook: Hook, arrivals: list[Arrival], load: tuple[float, float], fanned_out: dict[int, float]
) -> dict[str, Any]:
    """Delivered vs expected, lag percentiles (split at the delivery's creation by the fan-out),
    signature check, of one endpoint's arrivals."""
    verifier = Webhook(hook.secret)
    first: dict[int, float] = {}
    lags: list[float] = []
    to_fanout: list[float] = []
    fanout_to_arrival: list[float] = []
    bad_signatures, duplicates, unexpected = 0, 0, 0
    for arrival in arrivals:
        try:
            payload = verifier.verify(arrival.body, arrival.headers)
        except (WebhookVerificationError, ValueError, KeyError):
            bad_signatures += 1
            continue
        event_id = int(payload["data"]["event_id"])
        if arrival.webhook_id != f"evt_{event_id}":
            bad_signatures += 1
        if event_id in first:
            duplicates += 1
            continue
        first[event_id] = arrival.at
        if event_id not in hook.expected:
            unexpected += 1
            continue
        created = parse_time(payload["timestamp"])
        lags.append(arrival.at - created)
        if event_id in fanned_out:
            to_fanout.append(fanned_out[event_id] - created)
            fanout_to_arrival.append(arrival.at - fanned_out[event_id])
    delivered = len(set(first) & hook.expected)
    in_load = sum(1 for a in arrivals if load[0] <= a.at <= load[1])
    last = max(first.values(), default=load[1])
    return {
        "delivered": delivered,
        "expected": len(hook.expected),
        "lag_ms": percentiles(lags),
        "lag_to_fanout_ms": percentiles(to_fanout),
        "lag_fanout_to_arrival_ms": percentiles(fanout_to_arrival),
        "deliveries_per_second_during_load": round(in_load / (load[1] - load[0]), 1),
        "last_delivery_after_load_s": round(max(0.0, last - load[1]), 2),
        "duplicates": duplicates,
        "unexpected": unexpected,
        "bad_signatures": bad_signatures,
        "signatures_verified": len(arrivals) - bad_signatures,
    }


async def measure(
    url: str, server: Server, receiver: Receiver, args: argparse.Namespace
) -> dict[str, Any]:
    THROTTLED.clear()
    db = Database(url, pool_size=2)
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    try:
        async with (
            httpx.AsyncClient(base_url=server.base, timeout=30, limits=limits) as load_client,
            httpx.AsyncClient(base_url=server.base, timeout=60) as feed_client,
        ):
            setup = await make_accounts_and_groups(load_client, server.admin_key, args)
            hooks = [
                await register(
                    load_client,
                    setup.manufacturer_key,
                    receiver.port,
                    "manufacturer",
                    setup.manufacturer_id,
                )
            ]
            if args.firehose:
                hooks.append(
                    await register(load_client, server.admin_key, receiver.port, "admin", None)
                )
            # The follower starts at the end of the setup's events (read, not timed; on
            # PostgreSQL they show once every older write transaction of the server has ended).
            follower = Follower()
            setup_events, read, deadline = await event_count(db), 0, time.monotonic() + 60
            while read < setup_events and time.monotonic() < deadline:
                events, follower.cursor, _ = await read_page(
                    feed_client, server.admin_key, follower.cursor, wait=1
                )
                read += len(events)
            if read != setup_events:
                raise BenchError(f"the feed served {read} of the {setup_events} setup events")
            log(
                f"{len(setup.consumer_keys)} consumers, {len(setup.groups)} campaigns (tiers every"
                f" {setup.step} units), {setup_events} setup events; receiver on :{receiver.port}"
            )

            joins = Joins()
            give_up = asyncio.Event()
            load_avg = [os.getloadavg()[0]]
            cpu0, busy0, own0 = server.cpu_seconds(), machine_busy(), time.process_time()
            load_start = time.time()
            horizon: dict[str, list[float]] = {"this_db": [], "other_dbs": []}
            sampler = None
            if not db.is_sqlite:
                sampler = asyncio.create_task(sample_horizon(url, give_up, horizon))
            reader = asyncio.create_task(follow(feed_client, server.admin_key, follower, give_up))
            try:
                load_seconds = await join_load(load_client, setup, args, joins)
                load_end = time.time()
                read_at_end = len(follower.ids)
                stored = await event_count(db)
                cpu1, busy1, own1 = server.cpu_seconds(), machine_busy(), time.process_time()
                load_avg.append(os.getloadavg()[0])
                follower.target = stored - setup_events
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reader), args.drain)
            finally:
                give_up.set()
                with contextlib.suppress(TimeoutError, BenchError, httpx.HTTPError):
                    await asyncio.wait_for(reader, 35)
                if sampler is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(sampler, 10)
            behind_at_end = follower.target - read_at_end

            for hook in hooks:
                hook.expected = await stored_ids(db, since=hook.created_at, account=hook.account)
            paths = {hook.name: f"/hook/{hook.name}" for hook in hooks}
            deadline = load_end + args.drain
            while time.time() < deadline:
                got = {(a.path, a.webhook_id) for a in receiver.arrivals}
                if all({(paths[h.name], f"evt_{i}") for i in h.expected} <= got for h in hooks):
                    break
                await asyncio.sleep(0.1)

            records = {
                hook.name: await delivery_records(
                    feed_client,
                    setup.manufacturer_key if hook.account else server.admin_key,
                    hook,
                )
                for hook in hooks
            }
            all_ids = await stored_ids(db)
            admin_reads = [await catch_up(feed_client, server.admin_key) for _ in range(3)]
            maker_reads = [await catch_up(feed_client, setup.manufacturer_key) for _ in range(3)]
            admin_count, _, admin_pages = admin_reads[0]
            maker_count = maker_reads[0][0]
    finally:
        await db.dispose()

    arrivals = list(receiver.arrivals)
    read_ids = follower.ids
    missing = len(all_ids) - setup_events - len(set(read_ids))
    feed_ok = len(read_ids) == len(set(read_ids)) and missing == 0 and set(read_ids) <= all_ids
    per_hook = {}
    for hook in hooks:
        mine = [a for a in arrivals if a.path == paths[hook.name]]
        fanned_out = records[hook.name].pop("fanned_out")
        per_hook[hook.name] = hook_figures(hook, mine, (load_start, load_end), fanned_out)
        per_hook[hook.name]["recorded"] = records[hook.name]
    caught = follower.caught_up_at()
    return {
        "seconds": args.seconds,
        "joins": joins.ok,
        "load_seconds": round(load_seconds, 2),
        "join_rps": round(joins.ok / load_seconds, 1),
        "join_target_rps": args.join_rate,
        "join_statuses": joins.statuses,
        "joins_skipped": joins.skipped,
        "join_latency_ms": percentiles(joins.latencies),
        "events_written": len(all_ids) - setup_events,
        "feed": {
            "events_read": len(read_ids),
            "poll_events_per_second": round(read_at_end / (load_end - load_start), 1),
            "poll_requests": follower.requests,
            "behind_at_end": behind_at_end,
            "caught_up_after_load_s": (
                None if caught is None else round(max(0.0, caught - load_end), 2)
            ),
            "lag_ms": percentiles(follower.lags),
            "catchup_events_per_second": round(
                statistics.median(n / secs for n, secs, _ in admin_reads)
            ),
            "catchup_events_per_second_runs": [round(n / secs) for n, secs, _ in admin_reads],
            "catchup_events": admin_count,
            "catchup_pages": admin_pages,
            "catchup_manufacturer_events_per_second": round(
                statistics.median(n / secs for n, secs, _ in maker_reads)
            ),
            "catchup_manufacturer_events": maker_count,
            "complete_and_unique": feed_ok,
            # Events served after one with a larger id: on PostgreSQL the order is that of the
            # writing transactions (tx, id), not of the ids.
            "id_order_inversions": sum(b < a for a, b in itertools.pairwise(read_ids)),
        },
        "webhooks": per_hook["manufacturer"],
        **({"webhooks_admin": per_hook["admin"]} if "admin" in per_hook else {}),
        **(
            {"pg_oldest_write_tx_ms": {k: percentiles(v) for k, v in horizon.items()}}
            if horizon["this_db"]
            else {}
        ),
        "tier_step_units": setup.step,
        "feed_reads_throttled": dict(THROTTLED),
        "server_peak_rss_mb": round(server.peak_rss_mb(), 1),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / (load_end - load_start)),
        "bench_cpu_pct": round(100 * (own1 - own0) / (load_end - load_start)),
        "machine_busy_pct": round(100 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])),
        "loadavg_1min": [round(x, 2) for x in load_avg],
    }


def run_engine(engine: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    url, name = fresh_database(engine, args, work)
    log(f"{ENGINES[engine]}: database {name}")
    server: Server | None = None
    receiver = Receiver()
    try:
        receiver.start()
        server = Server(url, work / f"serve-{engine}.log")
        return {"db": engine, **asyncio.run(measure(url, server, receiver, args))}
    finally:
        receiver.stop()
        if server is not None:
            server.stop()
        if engine == "pg":
            with contextlib.suppress(Exception):
                asyncio.run(pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def problems(result: dict[str, Any]) -> list[str]:
    found = []
    if not result["feed"]["complete_and_unique"]:
        found.append("the feed skipped or repeated an event")
    for key in ("webhooks", "webhooks_admin"):
        hook = result.get(key)
        if hook and (hook["bad_signatures"] or hook["unexpected"]):
            found.append(
                f"{key}: {hook['bad_signatures']} bad signatures, {hook['unexpected']} unexpected"
            )
    return found


def report(result: dict[str, Any]) -> None:
    name, feed = ENGINES[result["db"]], result["feed"]
    joins = result["join_latency_ms"]
    print(
        f"{name:<10} joins {result['joins']} in {result['load_seconds']} s = {result['join_rps']}/s"
        f" (target {result['join_target_rps']}/s; {result['join_statuses']}, skipped"
        f" {result['joins_skipped']}), join p50 {joins['p50']} ms p99 {joins['p99']} ms;"
        f" {result['events_written']} events written",
        flush=True,
    )
    lag = feed["lag_ms"]
    print(
        f"{'':<10} feed: {feed['events_read']} events read by the long-polling admin,"
        f" {feed['poll_events_per_second']}/s during the load in {feed['poll_requests']} polls;"
        f" behind at the end {feed['behind_at_end']}, caught up"
        f" {feed['caught_up_after_load_s']} s after; lag p50 {lag['p50']} ms p99 {lag['p99']} ms"
        f" max {lag['max']} ms",
        flush=True,
    )
    print(
        f"{'':<10} catch-up from the start: admin {feed['catchup_events']} events at"
        f" {feed['catchup_events_per_second']}/s, manufacturer"
        f" {feed['catchup_manufacturer_events']} at"
        f" {feed['catchup_manufacturer_events_per_second']}/s (medians of 3);"
        f" complete and unique: {feed['complete_and_unique']}; served after a larger id:"
        f" {feed['id_order_inversions']}",
        flush=True,
    )
    for key in ("webhooks", "webhooks_admin"):
        hook = result.get(key)
        if not hook:
            continue
        lag = hook["lag_ms"]
        who = "manufacturer" if key == "webhooks" else "admin (firehose)"
        print(
            f"{'':<10} webhooks, {who}: {hook['delivered']}/{hook['expected']} delivered,"
            f" {hook['deliveries_per_second_during_load']}/s during the load, last"
            f" {hook['last_delivery_after_load_s']} s after it; lag p50 {lag['p50']} ms p99"
            f" {lag['p99']} ms max {lag['max']} ms (event to fan-out p50"
            f" {hook['lag_to_fanout_ms']['p50']} ms, fan-out to arrival p50"
            f" {hook['lag_fanout_to_arrival_ms']['p50']} ms); {hook['signatures_verified']}"
            " signatures OK,"
            f" {hook['bad_signatures']} bad, {hook['duplicates']} duplicates; recorded"
            f" {hook['recorded']}",
            flush=True,
        )
    if "pg_oldest_write_tx_ms" in result:
        ages = result["pg_oldest_write_tx_ms"]
        print(
            f"{'':<10} oldest write transaction (holds the feed back), sampled every 0.1 s: this"
            f" database p50 {ages['this_db']['p50']} ms max {ages['this_db']['max']} ms; other"
            f" databases of the server p50 {ages['other_dbs']['p50']} ms max"
            f" {ages['other_dbs']['max']} ms",
            flush=True,
        )
    print(
        f"{'':<10} server peak RSS {result['server_peak_rss_mb']} MB, server CPU"
        f" {result['server_cpu_pct']}% during the load (this process {result['bench_cpu_pct']}%);"
        f" machine {result['machine_busy_pct']}% busy,"
        f" load average {result['loadavg_1min']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["pg", "sqlite", "both"], default="pg")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--join-rate", type=float, default=200, help="joins per second")
    parser.add_argument("--concurrency", type=int, default=8, help="connections of the joins")
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument(
        "--consumers", type=int, default=8, help="at least; more if the joins need them"
    )
    parser.add_argument(
        "--tier-rate",
        type=float,
        default=10,
        help="group.tier_reached events per second the ladders are spaced for (the public "
        "events the manufacturer's endpoint receives)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=30,
        help="seconds to wait after the load for the feed reader and the deliveries to catch up",
    )
    parser.add_argument(
        "--firehose", action="store_true", help="also an admin endpoint receiving every event"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 < args.join_rate <= 5000 and args.concurrency >= 1):
        parser.error("--seconds must be in (0, 600], --join-rate in (0, 5000]")
    if args.groups < 1 or args.consumers < 1 or args.tier_rate <= 0 or not 0 < args.drain <= 600:
        parser.error("--groups and --consumers at least 1, --drain in (0, 600]")

    def stop_on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    engines = ["pg", "sqlite"] if args.db == "both" else [args.db]
    work = Path(tempfile.mkdtemp(prefix="pool-bench-feed-"))
    results: dict[str, Any] = {}
    failures: list[str] = []
    try:
        for engine in engines:
            try:
                results[engine] = run_engine(engine, args, work)
            except (BenchError, OSError, subprocess.SubprocessError, httpx.HTTPError) as e:
                failures.append(f"{engine}: {e}")
                log(f"FAILED {engine}: {e}")
                results[engine] = {"db": engine, "error": str(e)[:500]}
                continue
            report(results[engine])
            failures += [f"{engine}: {p}" for p in problems(results[engine])]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAILED {failure}")
    env = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "join_concurrency": args.concurrency,
        "groups": args.groups,
        "consumers": consumers_needed(args),
        "tier_rate": args.tier_rate,
        "loadavg_1_5_15_end": [round(x, 2) for x in os.getloadavg()],
    }
    if len(engines) == 1:
        out = {**results[engines[0]], "env": env}
    else:
        out = {"results": results, "env": env}
    print(json.dumps(out))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
