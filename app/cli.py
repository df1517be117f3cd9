"""The ``pool`` command: serve, migrate, demo, accounts."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from app.settings import Settings, SettingsError, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key, value in (
            ("host", getattr(args, "host", None)),
            ("port", getattr(args, "port", None)),
        )
        if value is not None
    }
    return load_settings(**overrides)


def _run_db(settings: Settings, use: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    from app.db.engine import Database

    async def go() -> Any:
        db = Database(settings.database_url, pool_size=2)
        try:
            return await use(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.db.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print(f"pool: database is at the latest migration ({_redacted(settings.database_url)})")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.db.migrate import upgrade
    from app.main import create_app

    settings = _settings(args)
    upgrade(settings.database_url)
    base = f"http://{settings.host}:{settings.port}"
    print(f"pool: serving on {base}  (API docs: {base}/docs)", flush=True)
    app: Any = create_app(settings) if settings.workers == 1 else None
    processes: dict[str, Any] = {}
    if settings.workers > 1:
        # uvicorn imports `app.main:app` in each process, which reads POOL_* itself: hand it what
        # the command line changed, and skip the migration done above. The admin is made here,
        # once, not by every process at the same moment.
        if (admin_key := settings.admin_api_key) is not None:
            _run_db(settings, lambda db: _ensure_admin(db, admin_key.get_secret_value()))
        os.environ.update(
            POOL_HOST=settings.host, POOL_PORT=str(settings.port), POOL_MIGRATE_ON_START="false"
        )
        app, processes = "app.main:app", {"workers": settings.workers}
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.value,
        access_log=False,
        proxy_headers=True,
        limit_concurrency=settings.max_connections,  # beyond it: 503, not an exhausted server
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        **processes,
    )


async def _ensure_admin(db: Any, raw_key: str) -> None:
    from app.accounts.service import ensure_account_with_key
    from app.db.models import Role

    await ensure_account_with_key(db, Role.admin, "admin", raw_key)


def cmd_worker(args: argparse.Namespace) -> None:
    import signal

    from app.db.engine import Database
    from app.db.migrate import upgrade
    from app.observability import configure_logging
    from app.worker.loop import Worker

    settings = _settings(args)
    configure_logging(settings.log_level.value)
    upgrade(settings.database_url)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        db = Database(settings.database_url, settings.db_pool_size)
        try:
            await Worker(db, settings).run(stop)
        finally:
            await db.dispose()

    print("pool: worker running (SIGTERM or Ctrl-C stops it after the current step)", flush=True)
    asyncio.run(run())


def cmd_demo(args: argparse.Namespace) -> None:
    if args.simulate:
        return cmd_simulate(args)
    from app.db.migrate import upgrade
    from app.demo import DEMO_ACCOUNTS, load_demo

    settings = _settings(args)
    upgrade(settings.database_url)
    created = _run_db(settings, load_demo)
    base = f"http://{settings.host}:{settings.port}"
    print("pool: demo data " + ("loaded" if created else "already present"))
    print(f"  API docs:  {base}/docs")
    print(f"  Group pages (live, no key needed to watch): {base}/g")
    print("  Demo API keys (Authorization: Bearer <key>):")
    for demo in DEMO_ACCOUNTS:
        print(f"    {demo.role.value:<13} {demo.name:<14} {demo.api_key}")
    ada, acme = DEMO_ACCOUNTS[3].api_key, DEMO_ACCOUNTS[1].api_key
    print(f"  Try:  curl -H 'Authorization: Bearer {ada}' {base}/v1/groups")
    print(f"        curl -H 'Authorization: Bearer {acme}' {base}/v1/orders")


def cmd_simulate(args: argparse.Namespace) -> None:
    from app.demo import DEMO_ACCOUNTS
    from app.simulate import run

    if args.seconds < 0:
        raise SystemExit("pool: --seconds must not be negative")
    admin_key = args.admin_key or DEMO_ACCOUNTS[0].api_key
    raise SystemExit(run(args.url, admin_key, args.seconds))


def cmd_accounts_create(args: argparse.Namespace) -> None:
    from app.accounts.service import create_account
    from app.db.migrate import upgrade
    from app.db.models import Role

    settings = _settings(args)
    upgrade(settings.database_url)
    role = Role(args.role)
    created = _run_db(settings, lambda db: create_account(db, role, args.name))
    print(f"created {role.value} account {created.account.id} ({args.name})")
    print(f"API key (shown once): {created.api_key}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="pool",
        description="Pool: pooled demand, volume pricing, one fair price. "
        "Settings come from POOL_* environment variables (see the README).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate the database if needed, then serve the API")
    serve.add_argument("--host", help="address to listen on (default POOL_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default POOL_PORT or 8000)")
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="bring the database to the latest migration")
    migrate.set_defaults(run=cmd_migrate)

    worker = commands.add_parser(
        "worker", help="run the background worker alone (deadline closes), for scale-out"
    )
    worker.set_defaults(run=cmd_worker)

    demo = commands.add_parser("demo", help="load demo accounts (idempotent) and print their keys")
    demo.add_argument(
        "--simulate",
        action="store_true",
        help="instead: run a live simulation of one group (campaign, arrivals, price breaks, "
        "close, order) against a running server",
    )
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="the server (--simulate)")
    demo.add_argument(
        "--seconds", type=float, default=60, help="how long consumers keep arriving (--simulate)"
    )
    demo.add_argument(
        "--admin-key", help="an admin's API key (--simulate; default: the demo admin's)"
    )
    demo.set_defaults(run=cmd_demo)

    accounts = commands.add_parser("accounts", help="manage accounts")
    account_commands = accounts.add_subparsers(
        dest="accounts_command", required=True, metavar="ACTION"
    )
    create = account_commands.add_parser("create", help="create an account and print its API key")
    create.add_argument("--role", required=True, choices=["admin", "consumer", "manufacturer"])
    create.add_argument("--name", required=True, help="display name of the account")
    create.set_defaults(run=cmd_accounts_create)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except SettingsError as exc:
        print(f"pool: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
