from pathlib import Path

import httpx

from app.main import create_app
from app.settings import Settings
from tests.conftest import test_settings
from tests.helpers import ADMIN_KEY, auth


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
            ready = await http.get("/readyz")
            live = await http.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["code"] == "database_unavailable"
    assert live.status_code == 200


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, make_account: object
) -> None:
    await client.get("/v1/accounts/me")
    text = (await client.get("/metrics")).text
    assert 'pool_http_requests_total{method="GET",route="/v1/accounts/me",status="401"}' in text
    assert "pool_http_request_duration_seconds_bucket" in text
