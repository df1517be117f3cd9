import shutil
from pathlib import Path

import httpx

from app.main import create_app
from app.settings import Settings
from tests.api.test_openapi import declared_headers
from tests.conftest import test_settings
from tests.helpers import ADMIN_KEY, auth, create_postgres_database, drop_postgres_database


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_the_app_alone_migrates_a_new_database(tmp_path: Path) -> None:
    """`uvicorn app.main:app` on an empty database is a complete service (DESIGN §7)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    app = create_app(test_settings(url, migrate_on_start=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
            me = await http.get("/v1/accounts/me", headers=auth(ADMIN_KEY))
            groups = await http.get("/v1/groups", headers=auth(ADMIN_KEY))
    assert me.status_code == 200
    assert me.json()["role"] == "admin"
    assert groups.json() == {"data": [], "next_cursor": None}


async def test_readiness_fails_when_the_database_is_gone(settings: Settings) -> None:
    gone = (
        "sqlite+aiosqlite:////nonexistent-dir/pool.db"
        if settings.is_sqlite
        else "postgresql+asyncpg://postgres@127.0.0.1:1/pool"
    )
    app = create_app(settings.model_copy(update={"database_url": gone, "admin_api_key": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
            ready = await http.get("/readyz", headers={"X-Request-ID": "probe-1"})
            live = await http.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["code"] == "database_unavailable"
    assert live.status_code == 200
    # It sends the headers the document declares for it: when to come back, and the request id.
    assert int(ready.headers["retry-after"]) >= 1
    assert ready.headers["x-request-id"] == "probe-1"
    document = app.openapi()
    declared = declared_headers(document, document["paths"]["/readyz"]["get"]["responses"]["503"])
    assert set(declared) == {"Retry-After", "X-Request-ID"}


async def test_readiness_turns_503_when_a_working_database_goes_away(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    if settings.is_sqlite:
        folder.mkdir()
        url = f"sqlite+aiosqlite:///{folder / 'pool.db'}"
    else:
        url = await create_postgres_database()
    app = create_app(test_settings(url, migrate_on_start=True, admin_api_key=None))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
                ready = await http.get("/readyz")
                if settings.is_sqlite:
                    # The pool stays warm: its open connections keep reading the deleted file
                    # (and `SELECT 1` reads no page of it), yet the service has lost its data.
                    assert app.state.db.reader.pool.checkedin() >= 1, "the pool is warm"
                    shutil.rmtree(folder)
                    assert app.state.db.reader.pool.checkedin() >= 1, "nothing was disposed"
                else:
                    await drop_postgres_database(url)  # WITH (FORCE): its sessions end too
                gone = [await http.get("/readyz") for _ in range(2)]
                live = await http.get("/healthz")
    finally:
        if not settings.is_sqlite:
            await drop_postgres_database(url)  # IF EXISTS: when the test failed before it
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready"}
    # PostgreSQL: the first on a dead pooled connection, the next on a new connect. SQLite: both
    # while the pool still holds its connections to the deleted file.
    for answer in gone:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "database_unavailable"
    assert live.status_code == 200


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, make_account: object
) -> None:
    await client.get("/v1/accounts/me")
    text = (await client.get("/metrics")).text
    assert 'pool_http_requests_total{method="GET",route="/v1/accounts/me",status="401"}' in text
    assert "pool_http_request_duration_seconds_bucket" in text
