"""Join benchmark: `POST /v1/groups/{id}/intents` of a real `pool serve` against the physical limit.

    python -m bench.join [--rounds 2] [--dur 10s] [--conn 64] [--pool-size 8] [--workers 1]
                         [--rev HEAD]
                         [--scenarios hot_pg,spread_pg,hot_sqlite,spread_sqlite]
                         [--only both|ours|reference] [--ref-pg-pool 4] [--ref-sqlite-sync NORMAL]

Drives a real `pool serve` (uvicorn, `--workers` processes, POOL_RUN_WORKER=false) with `wrk -t1
-c64 --latency` and the reference's `bench.lua` from a separate process, on ONE hot group and
spread uniformly over 1,000 groups, on PostgreSQL (127.0.0.1:5432, user postgres, a fresh
database `pool_bench` per scenario, dropped at the end) and on SQLite (a fresh file per scenario).
`--rev` runs a `git archive` of that revision instead of the working tree, `--src` another folder.
In the same run, interleaved with ours (the order alternates between rounds), it runs the same
scenario of the reference implementation (`../shared/bench/run_limit.sh`, ONLY=b|c|d: the bare
ASGI app that does only the irreducible work). Every scenario starts from fresh tables; after each
run the lost-update check compares every group's running totals with the intents stored, and
that there are at least as many intents as 2xx answers.

Prints one line per run, a table of the medians over the rounds (ratios are the median of the
per-round ours/reference ratios: each pair ran back to back) and, as its last line, one JSON
object of the figures. Logs: $TMPDIR/pool-bench. Exit status 1 if a check failed or a run broke.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("POOL_BENCH_REFERENCE", REPO.parent / "shared" / "bench"))
WORK = Path(tempfile.gettempdir()) / "pool-bench"
PG_DB = "pool_bench"
PG_ADMIN = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
PG_ADMIN += ["-U", "postgres"]
GROUPS = 1000
GIT: dict[str, Any] = {"capture_output": True, "text": True, "check": True}
JOIN_BODY = {"quantity": 2, "max_unit_price": 1500}
OFFER = {
    "currency": "EUR",
    "tiers": [
        {"min_quantity": 1, "unit_price": 2000},
        {"min_quantity": 100_000, "unit_price": 1500},
        {"min_quantity": 1_000_000, "unit_price": 1200},
    ],
}
# Per group: running totals == what its active intents add up to (no lost update). Columns:
# groups off, active intents, their sum(quantity), sum(total_quantity) over all groups.
CHECK = """
SELECT coalesce(sum(CASE WHEN g.total_quantity <> coalesce(s.q, 0)
                          OR g.intent_count <> coalesce(s.n, 0)
                          OR g.participant_count <> coalesce(s.p, 0) THEN 1 ELSE 0 END), 0),
       coalesce(sum(s.n), 0), coalesce(sum(s.q), 0), coalesce(sum(g.total_quantity), 0)
FROM groups g LEFT JOIN (
  SELECT group_id, sum(quantity) AS q, count(*) AS n, count(DISTINCT consumer_id) AS p
  FROM intents WHERE status = 'active' GROUP BY group_id) s ON s.group_id = g.id
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    db: str  # "pg" | "sqlite"
    hot: bool
    ref: str | None  # run_limit.sh's scenario letter, None when the reference has no such one

    @property
    def label(self) -> str:
        where = "1 hot group" if self.hot else f"{GROUPS} groups"
        return f"{where}, {'PostgreSQL' if self.db == 'pg' else 'SQLite'}"


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("hot_pg", "pg", hot=True, ref="b"),
        Scenario("spread_pg", "pg", hot=False, ref="c"),
        Scenario("hot_sqlite", "sqlite", hot=True, ref="d"),
        Scenario("spread_sqlite", "sqlite", hot=False, ref=None),
    )
}


@dataclass
class Run:
    """One wrk run of one side of one scenario."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non2xx: int
    check_ok: bool
    check: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class BenchError(Exception):
    """A run could not be made (server did not start, the route is missing, wrk failed...)."""


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --- HTTP and the service's API -------------------------------------------------------------------


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request on a fresh loopback connection; returns (status, parsed JSON body or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        conn.request(method, path, None if body is None else json.dumps(body), hdrs)
        resp = conn.getresponse()
        raw = resp.read().decode()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw
    finally:
        conn.close()


def expect(status: int, body: Any, want: int, what: str) -> Any:
    if status != want:
        raise BenchError(f"{what}: expected {want}, got {status}: {str(body)[:300]}")
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`pool serve` as a child process (uvicorn runs in it: its PID is the server's)."""

    def __init__(
        self, db_url: str, pool_size: int, logfile: Path, src: Path = REPO, workers: int = 1
    ) -> None:
        self.port = free_port()
        self.admin_key = "pool_adm_bench_" + secrets.token_urlsafe(18)
        self.logfile = logfile
        env = {
            **os.environ,
            "POOL_DATABASE_URL": db_url,
            "POOL_ADMIN_API_KEY": self.admin_key,
            "POOL_HOST": "127.0.0.1",
            "POOL_PORT": str(self.port),
            "POOL_RUN_WORKER": "false",
            "POOL_LOG_LEVEL": "warning",
            # one consumer key drives every join: no per-key budget, no per-consumer cap
            "POOL_RATE_LIMITS_ENABLED": "false",
            "POOL_MAX_INTENTS_PER_CONSUMER": "1000000",
            "POOL_DB_POOL_SIZE": str(pool_size),
            "POOL_WORKERS": str(workers),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # `pool serve` itself for the working tree; for an exported revision the same entry point,
        # with that folder first on sys.path (the venv's editable install points at the tree).
        cmd = [str(REPO / ".venv" / "bin" / "pool"), "serve"]
        if src != REPO:
            cmd = [str(REPO / ".venv" / "bin" / "python"), "-m", "app.cli", "serve"]
        with logfile.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=src,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 120  # migrations run first
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

    def pids(self) -> list[int]:
        """The server's processes: `pool serve` and, with POOL_WORKERS > 1, every process it
        started (uvicorn's workers and multiprocessing's helper)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                todo += map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        return found

    def peak_rss_mb(self) -> float:
        """VmHWM: the resident set's high-water mark, summed over the server's processes."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        return total / 1024 if total else float("nan")

    def cpu_seconds(self) -> float:
        """utime + stime, summed over the server's processes."""
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

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


# --- databases ------------------------------------------------------------------------------------


def pg_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def psql(sql: str, db: str = "postgres") -> str:
    """One statement as the superuser; waits up to 60 s while the server is out of connections
    (other users of this PostgreSQL)."""
    for _ in range(60):
        out = subprocess.run(
            [*PG_ADMIN, "-d", db, "-c", sql],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
        )
        if "too many clients" not in out.stderr:
            break
        time.sleep(1)
    if out.returncode != 0:
        raise BenchError(f"psql {sql[:60]!r}: {out.stderr.strip()}")
    return out.stdout.strip()


def fresh_pg() -> str:
    psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {PG_DB}")
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"


def sqlite_path() -> Path:
    return WORK / "pool.db"


def fresh_sqlite() -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path()}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{sqlite_path()}"


def sqlite_query(sql: str) -> tuple[Any, ...]:
    conn = sqlite3.connect(sqlite_path(), timeout=30)
    try:
        return tuple(conn.execute(sql).fetchone())
    finally:
        conn.close()


def check_db(db: str, ok_answers: int) -> tuple[bool, str]:
    """The lost-update check on the database of the run (the server may still be up)."""
    if db == "pg":
        row = tuple(int(v) for v in psql(CHECK, PG_DB).split("|"))
    else:
        row = tuple(int(v) for v in sqlite_query(CHECK))
    bad, n, q, total = row
    ok = bad == 0 and q == total == 2 * n and n >= ok_answers
    verdict = "OK" if ok else "FAILED"
    return ok, (
        f"{verdict}: {bad} groups off, {n} intents, sum(quantity)={q}, "
        f"sum(total_quantity)={total}, 2xx={ok_answers}"
    )


def export(rev: str) -> tuple[Path, str]:
    """`git archive` of the service at `rev` into WORK/src: a run immune to edits in the tree."""
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run([*git, "rev-parse", "--verify", f"{rev}^{{commit}}"], **GIT).stdout
    tar = subprocess.run(
        [*git, "archive", "--format=tar", commit.strip(), "app", "migrations", "alembic.ini"],
        capture_output=True,
        check=True,
    ).stdout
    dest = WORK / "src"
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(dest, filter="data")
    return dest, commit.strip()


def describe_tree() -> str:
    """The commit of the working tree, with "+dirty" when app/ or migrations/ differ from it."""
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], **GIT).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "app", "migrations"], **GIT).stdout
    return commit + ("+dirty" if dirty.strip() else "")


# --- the runs -------------------------------------------------------------------------------------


def wrk(port: int, key: str, paths: Path, hot: bool, dur: str, conn: int, out: Path) -> Run:
    """The reference's wrk line and script against our server; parses bench.lua's RESULT."""
    env = {**os.environ, "BENCH_KEY": key, "BENCH_PATHS": str(paths)}
    env["BENCH_NONCE"] = str(uuid.uuid4())[:23]
    env.pop("BENCH_GROUPS", None)
    if hot:
        env["BENCH_GROUPS"] = "1"
    cmd = ["wrk", "-t1", f"-c{conn}", f"-d{dur}", "--latency"]
    cmd += ["-s", str(REFERENCE / "bench.lua"), f"http://127.0.0.1:{port}/"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out.open("w") as fh:
        subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=600, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = out.read_text()
    line = next((ln for ln in text.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk gave no RESULT line:\n{text[-2000:]}")
    _, req, secs, p50, p99, err, non2xx = line.split()
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # wrk's own 2 s timeout (as in the reference's line): timed-out requests are errors and are
    # left out of its latency figures, so p99 is a floor whenever there are timeouts.
    timeouts = next((ln.rsplit(None, 1)[-1] for ln in text.splitlines() if "timeout" in ln), "0")
    return Run(
        rps=int(req) / float(secs),
        p50_ms=int(p50) / 1000,
        p99_ms=int(p99) / 1000,
        errors=int(err),
        non2xx=int(non2xx),
        check_ok=False,
        extra={
            "requests": int(req),
            "timeouts": int(timeouts),
            "wrk_cpu_pct": round(100 * wrk_cpu / float(secs), 1),
        },
    )


def seed(server: Server) -> tuple[str, list[str]]:
    """A manufacturer, a consumer and GROUPS open groups; returns (consumer key, join paths)."""
    accounts = {}
    for role in ("manufacturer", "consumer"):
        body = {"role": role, "name": f"bench {role}"}
        status, out = call(server.port, "POST", "/v1/accounts", body, server.admin_key)
        accounts[role] = expect(status, out, 201, f"create {role}")["api_key"]
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def group(i: int) -> str:
        body = {"title": f"bench {i}", "currency": "EUR", "deadline": deadline, "offer": OFFER}
        status, out = call(server.port, "POST", "/v1/groups", body, accounts["manufacturer"])
        return str(expect(status, out, 201, "create group")["id"])

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(group, range(1, GROUPS + 1)))
    return accounts["consumer"], [f"/v1/groups/{gid}/intents" for gid in ids]


def smoke_join(server: Server, key: str, path: str) -> None:
    """One real join: 201 with an active intent, or a BenchError saying why not."""
    headers = {"Idempotency-Key": f"bench-smoke-{uuid.uuid4()}"}
    status, out = call(server.port, "POST", path, JOIN_BODY, key, headers)
    if status == 404 and isinstance(out, dict) and out.get("code") == "not_found":
        raise BenchError("the join route POST /v1/groups/{id}/intents does not exist yet (404)")
    body = expect(status, out, 201, "smoke join")
    if body.get("status") != "active" or body.get("quantity") != JOIN_BODY["quantity"]:
        raise BenchError(f"smoke join answered 201 with an unexpected body: {body}")


def run_ours(scenario: Scenario, args: argparse.Namespace, tag: str) -> Run:
    url = fresh_pg() if scenario.db == "pg" else fresh_sqlite()
    server = Server(url, args.pool_size, WORK / f"serve-{tag}.log", args.src, args.workers)
    try:
        key, paths = seed(server)
        pathfile = WORK / f"paths-{tag}.txt"
        pathfile.write_text("\n".join(paths) + "\n")
        smoke_join(server, key, paths[0])
        if scenario.db == "pg":  # as the reference does before each run: no dead rows, no debt
            psql("VACUUM groups", PG_DB)
            psql("CHECKPOINT")
        else:
            sqlite_query("PRAGMA wal_checkpoint(TRUNCATE)")
        cpu0, busy0 = server.cpu_seconds(), machine_busy()
        wrk_log = WORK / f"wrk-{tag}.log"
        run = wrk(server.port, key, pathfile, scenario.hot, args.dur, args.conn, wrk_log)
        cpu1, busy1 = server.cpu_seconds(), machine_busy()
        run.check_ok, run.check = check_db(scenario.db, run.extra["requests"] - run.non2xx)
        requests = max(1, run.extra["requests"])
        run.extra |= {
            "server_cpu_us_per_req": round(1e6 * (cpu1 - cpu0) / requests),
            "machine_busy_pct": round(100 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])),
            "server_peak_rss_mb": round(server.peak_rss_mb(), 1),
        }
        return run
    finally:
        server.stop()


def run_reference(scenario: Scenario, args: argparse.Namespace, tag: str) -> Run:
    """One scenario of ../shared/bench/run_limit.sh; its last stdout line is its JSON."""
    if scenario.ref is None:
        raise BenchError(f"the reference has no scenario like {scenario.name}")
    env = {**os.environ, "ONLY": scenario.ref, "DUR": args.dur, "CONN": str(args.conn)}
    env |= {"PG_POOL": str(args.ref_pg_pool), "SQLITE_SYNC": args.ref_sqlite_sync}
    with (WORK / f"reference-{tag}.log").open("w") as err:
        proc = subprocess.Popen(
            ["bash", str(REFERENCE / "run_limit.sh")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            stdout, _ = proc.communicate(timeout=900)
        except BaseException:  # SIGTERM, not SIGKILL: its EXIT trap stops what it started
            proc.terminate()
            proc.communicate(timeout=60)
            raise
    (WORK / f"reference-{tag}.out").write_text(stdout)
    lines = stdout.strip().splitlines()
    try:
        figures = json.loads(lines[-1])[scenario.ref]
    except (IndexError, ValueError, KeyError) as e:
        raise BenchError(
            f"run_limit.sh ONLY={scenario.ref} exited {proc.returncode} without its figures "
            f"(see {WORK}/reference-{tag}.log)"
        ) from e
    check = next((m[0] for ln in lines if (m := re.search(r"(OK|FAILED): .*", ln))), "")
    return Run(
        rps=figures["rps"],
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        errors=figures["errors"],
        non2xx=0,
        check_ok=bool(figures["check_ok"]),
        check=check.strip(),
    )


def run_side(scenario: Scenario, side: str, args: argparse.Namespace, tag: str) -> Run:
    """One side of one scenario; a run that broke is tried once more (a shared PostgreSQL can
    be out of connections for a moment)."""
    for attempt in (1, 2):
        try:
            if side == "ours":
                return run_ours(scenario, args, tag)
            return run_reference(scenario, args, tag)
        except BenchError as e:
            if attempt == 2 or "does not exist yet" in str(e):
                raise
            log(f"{tag} broke, trying once more in 5 s: {str(e).splitlines()[0][:200]}")
            time.sleep(5)
    raise AssertionError("unreachable")


# --- reporting ------------------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(runs: list[Run]) -> dict[str, Any] | None:
    if not runs:
        return None
    out: dict[str, Any] = {
        "rps": round(statistics.median(r.rps for r in runs), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 2),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 2),
        "errors": sum(r.errors for r in runs),
        "check_ok": all(r.check_ok for r in runs),
        "runs": [[round(r.rps), round(r.p50_ms, 2), round(r.p99_ms, 2)] for r in runs],
    }
    for name in ("server_cpu_us_per_req", "machine_busy_pct", "wrk_cpu_pct", "timeouts"):
        values = [r.extra[name] for r in runs if name in r.extra]
        if values:
            out[name] = round(statistics.median(values), 2)
    return out


def fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0])
    return f"{'-':>{width}}" if value is None else format(value, spec)


def run_line(scenario: Scenario, side: str, rnd: int, run: Run) -> str:
    extra = ""
    if "server_peak_rss_mb" in run.extra:
        e = run.extra
        extra = (
            f"  [server {e['server_cpu_us_per_req']} us CPU/req, RSS {e['server_peak_rss_mb']} MB;"
            f" machine {e['machine_busy_pct']}% busy; wrk {e['wrk_cpu_pct']}% CPU]"
        )
    timeouts = f" (timeouts {run.extra['timeouts']})" if run.extra.get("timeouts") else ""
    return (
        f"round {rnd} {scenario.name:<14} {side:<9} {run.rps:8.0f} req/s  p50 {run.p50_ms:7.2f} ms"
        f"  p99 {run.p99_ms:7.2f} ms  errors {run.errors}{timeouts}  {run.check}{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dur", default="10s", help="wrk duration (default 10s)")
    parser.add_argument("--conn", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument(
        "--pool-size", type=int, default=8, help="POOL_DB_POOL_SIZE of our server (default 8)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="POOL_WORKERS of our server (default 1)"
    )
    parser.add_argument(
        "--ref-pg-pool", type=int, default=4, help="the reference's PG_POOL (its default 4)"
    )
    parser.add_argument(
        "--ref-sqlite-sync",
        default="NORMAL",
        choices=["NORMAL", "FULL"],
        help="the reference's SQLITE_SYNC; default NORMAL, the service's own PRAGMA synchronous",
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--rev",
        help="benchmark this git revision (exported to a temporary folder) instead of the "
        "working tree, e.g. HEAD while others edit the tree",
    )
    parser.add_argument(
        "--src",
        type=Path,
        help="benchmark the service in this folder (holding app/ and migrations/), e.g. a "
        "patched copy for an A/B comparison",
    )
    parser.add_argument(
        "--only", choices=["both", "ours", "reference"], default="both", help="which side to run"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    if unknown := [n for n in names if n not in SCENARIOS]:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    scenarios = [SCENARIOS[n] for n in names]

    def stop_on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    code = describe_tree()
    if args.rev and args.src:
        parser.error("--rev and --src exclude each other")
    if args.src:
        args.src, code = args.src.resolve(), f"folder {args.src.resolve()}"
    elif args.rev:
        args.src, code = export(args.rev)
    else:
        args.src = REPO
    log(f"service code: {code} ({args.src})")
    if shutil.which("wrk") is None:
        log("apt-get install wrk")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt_env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=apt_env)
    if args.only != "reference" and any(s.db == "pg" for s in scenarios) and not pg_answers():
        raise SystemExit("no PostgreSQL answers on 127.0.0.1:5432 (user postgres, trust auth)")

    ours: dict[str, list[Run]] = {s.name: [] for s in scenarios}
    reference: dict[str, list[Run]] = {s.name: [] for s in scenarios}
    ratios: dict[str, list[tuple[float, float]]] = {s.name: [] for s in scenarios}
    failures: list[str] = []
    started, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        for rnd in range(1, args.rounds + 1):
            for scenario in scenarios:
                sides = ["reference", "ours"] if rnd % 2 else ["ours", "reference"]
                sides = [s for s in sides if args.only in ("both", s)]
                if not scenario.ref and "reference" in sides:
                    sides.remove("reference")
                pair: dict[str, Run] = {}
                for side in sides:
                    tag = f"{scenario.name}-{side}-{rnd}"
                    log(f"round {rnd}: {scenario.name} ({scenario.label}), {side}")
                    try:
                        run = run_side(scenario, side, args, tag)
                    except (BenchError, subprocess.TimeoutExpired) as e:
                        failures.append(f"{tag}: {e}")
                        log(f"FAILED {tag}: {e}")
                        continue
                    pair[side] = run
                    (ours if side == "ours" else reference)[scenario.name].append(run)
                    if not run.check_ok:
                        failures.append(f"{tag}: {run.check}")
                    print(run_line(scenario, side, rnd, run), flush=True)
                if len(pair) == 2:
                    ratios[scenario.name].append(
                        (
                            pair["ours"].rps / pair["reference"].rps,
                            pair["ours"].p99_ms / pair["reference"].p99_ms,
                        )
                    )
    finally:
        if args.only != "reference" and pg_answers():
            with contextlib.suppress(BenchError, subprocess.SubprocessError):
                psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        fresh_sqlite()

    result: dict[str, Any] = {"scenarios": {}}
    print()
    header = (
        f"{'scenario':<14} {'ours req/s':>10} {'p50 ms':>7} {'p99 ms':>7}   "
        f"{'ref req/s':>9} {'p50 ms':>7} {'p99 ms':>7}   {'rps o/r':>7} {'p99 o/r':>7}  "
        f"{'RSS MB':>6}  check"
    )
    print(header)
    for scenario in scenarios:
        o, r = summarize(ours[scenario.name]), summarize(reference[scenario.name])
        ratio_rps = median([x for x, _ in ratios[scenario.name]])
        ratio_p99 = median([y for _, y in ratios[scenario.name]])
        rss = max((x.extra["server_peak_rss_mb"] for x in ours[scenario.name]), default=None)
        check_ok = all(x.check_ok for x in ours[scenario.name] + reference[scenario.name])
        result["scenarios"][scenario.name] = {
            "what": scenario.label,
            "reference_scenario": scenario.ref,
            "ours": o,
            "reference": r,
            "ratio_rps": None if ratio_rps is None else round(ratio_rps, 3),
            "ratio_p99": None if ratio_p99 is None else round(ratio_p99, 3),
            "check_ok": check_ok,
        }
        o, r = o or {}, r or {}
        print(
            f"{scenario.name:<14} {fmt(o.get('rps'), '10.0f')} {fmt(o.get('p50_ms'), '7.2f')}"
            f" {fmt(o.get('p99_ms'), '7.2f')}   {fmt(r.get('rps'), '9.0f')}"
            f" {fmt(r.get('p50_ms'), '7.2f')} {fmt(r.get('p99_ms'), '7.2f')}"
            f"   {fmt(ratio_rps, '7.2f')} {fmt(ratio_p99, '7.2f')}  {fmt(rss, '6.0f')}"
            f"  {'OK' if check_ok else 'FAILED'}"
        )
    hot = result["scenarios"].get("hot_pg", {})
    met = None
    if hot.get("ratio_rps") is not None:
        met = hot["ratio_rps"] >= 0.5 and hot["ratio_p99"] <= 2.0
        print(
            "target (hot group, PostgreSQL: throughput >= 0.5 x reference, p99 <= 2 x): "
            f"{'met' if met else 'NOT met'} "
            f"({hot['ratio_rps']:.2f} x, p99 {hot['ratio_p99']:.2f} x)"
        )
    for failure in failures:
        print(f"FAILED {failure}")
    log(f"done in {time.monotonic() - started:.0f} s; logs in {WORK}")
    result |= {
        "server_peak_rss_mb": {
            n: max((x.extra["server_peak_rss_mb"] for x in ours[n]), default=None) for n in names
        },
        "target_hot_pg_met": met,
        "dur": args.dur,
        "conn": args.conn,
        "rounds": args.rounds,
        "code": code,
        "pool_size": args.pool_size,
        "workers": args.workers,
        "ref_pg_pool": args.ref_pg_pool,
        "ref_sqlite_sync": args.ref_sqlite_sync,
        "failures": len(failures),
        "env": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": psql("SHOW server_version") if pg_answers() else None,
            "sqlite": sqlite3.sqlite_version,
            "loadavg_1min_start_end": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
    }
    print(json.dumps(result))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
