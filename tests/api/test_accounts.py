import httpx
import pytest
from sqlalchemy import select

from app.db.engine import Database
from app.db.models import Account, ApiKey
from tests.helpers import ADMIN_KEY, MakeAccount, auth


@pytest.mark.parametrize(
    ("role", "prefix"),
    [("consumer", "pool_con_"), ("manufacturer", "pool_mfr_"), ("admin", "pool_adm_")],
)
async def test_admin_creates_an_account_whose_key_works(
    client: httpx.AsyncClient, admin_headers: dict[str, str], role: str, prefix: str
) -> None:
    response = await client.post(
        "/v1/accounts", json={"role": role, "name": "Ada"}, headers=admin_headers
    )
    assert response.status_code == 201
    created = response.json()
    assert created["role"] == role
    assert created["name"] == "Ada"
    assert created["api_key"].startswith(prefix)

    me = await client.get("/v1/accounts/me", headers=auth(created["api_key"]))
    assert me.status_code == 200
    assert me.json() == {k: created[k] for k in ("id", "role", "name", "created_at")}
    assert "api_key" not in me.json()


async def test_the_raw_key_is_not_stored(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    account = await make_account("consumer")
    raw = account["api_key"]
    async with db.read() as session:
        keys = (await session.scalars(select(ApiKey))).all()
        accounts = (await session.scalars(select(Account))).all()
    stored = [repr(vars(row)) for row in [*keys, *accounts]]
    assert stored
    assert not any(raw in text or raw[9:] in text for text in stored)
    assert not any(raw.encode() in key.key_hash for key in keys)


async def test_the_admin_is_bootstrapped_from_the_environment(
    client: httpx.AsyncClient, db: Database
) -> None:
    me = await client.get("/v1/accounts/me", headers=auth(ADMIN_KEY))
    assert me.status_code == 200
    assert me.json()["role"] == "admin"
    async with db.read() as session:
        hashes = (await session.scalars(select(ApiKey.key_hash))).all()
    assert ADMIN_KEY.encode() not in b"".join(hashes)


async def test_no_key_or_an_unknown_key_is_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, auth("pool_con_not-a-real-key"), {"Authorization": "Basic abc"}):
        response = await client.get("/v1/accounts/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", ["consumer", "manufacturer"])
async def test_only_an_admin_creates_accounts(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, role: str
) -> None:
    caller = await make_account(role)
    response = await client.post(
        "/v1/accounts", json={"role": "admin", "name": "Mallory"}, headers=caller["headers"]
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    async with db.read() as session:
        names = (await session.scalars(select(Account.name))).all()
    assert "Mallory" not in names


@pytest.mark.parametrize(
    "body",
    [
        {"role": "king", "name": "x"},
        {"role": "consumer", "name": ""},
        {"role": "consumer"},
        [],
        {"role": "consumer", "name": "x", "extra": 1},
    ],
)
async def test_an_invalid_account_is_422_and_creates_nothing(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str], body: object
) -> None:
    response = await client.post("/v1/accounts", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    async with db.read() as session:
        assert len((await session.scalars(select(Account))).all()) == 1  # the admin


async def test_a_retried_account_creation_returns_the_account_without_its_key(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "new-ada-1"}
    body = {"role": "consumer", "name": "Ada"}
    first = await client.post("/v1/accounts", json=body, headers=headers)
    again = await client.post("/v1/accounts", json=body, headers=headers)
    other = await client.post("/v1/accounts", json={**body, "name": "Eve"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["api_key"].startswith("pool_con_")
    assert again.json() == {**first.json(), "api_key": None}
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    async with db.read() as session:
        names = (await session.scalars(select(Account.name))).all()
    assert sorted(names) == ["Ada", "admin"]
