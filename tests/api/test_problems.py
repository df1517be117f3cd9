"""Every error a client can cause is RFC 9457 problem+json with a stable code."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from app.errors import Conflict
from app.main import create_app
from app.settings import Settings

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.fixture
async def probe_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus two routes that fail on purpose: a domain conflict and a bug."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}))
    probe = APIRouter()

    @probe.post("/probe/conflict")
    async def conflict() -> None:
        raise Conflict("It clashes.")

    @probe.get("/probe/bug")
    async def bug() -> None:
        raise RuntimeError("secret internal detail")

    app.include_router(probe)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool.test") as http:
            yield http


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/accounts",
        content=b'{"role": "consumer",',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert_problem(response, 400, "malformed_json")


async def test_validation_is_422_with_the_fields(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post("/v1/accounts", json={"role": "king"}, headers=admin_headers)
    body = assert_problem(response, 422, "validation_error")
    assert {tuple(error["loc"]) for error in body["errors"]} == {("body", "role"), ("body", "name")}
    assert "king" not in response.text  # the input is not echoed back


async def test_unauthenticated_is_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/accounts/me"), 401, "unauthenticated")


async def test_wrong_role_is_403(client: httpx.AsyncClient, make_account: Any) -> None:
    consumer = await make_account("consumer")
    response = await client.post(
        "/v1/accounts", json={"role": "consumer", "name": "x"}, headers=consumer["headers"]
    )
    assert_problem(response, 403, "forbidden")


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not_found")


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/accounts/me")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/v1/groups", "GET, POST"),
        ("PUT", "/v1/groups", "GET, POST"),
        ("PATCH", "/v1/webhook-endpoints/abc", "DELETE, GET"),
        ("PUT", "/v1/accounts/abc/keys", "GET, POST"),
    ],
)
async def test_a_405_allows_every_method_of_the_resource(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    """A path served by several routes (one per method) lists all their methods, not just the
    first route's (found by the contract fuzzing: `Allow: POST` on `OPTIONS /v1/groups`)."""
    response = await client.request(method, path)
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


async def test_domain_conflict_is_409(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.post("/probe/conflict"), 409, "conflict")
    assert body["detail"] == "It clashes."


async def test_a_body_over_the_limit_is_413(
    probe_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    big = {"role": "consumer", "name": "x" * 4000}
    assert_problem(
        await probe_client.post("/v1/accounts", json=big, headers=admin_headers),
        413,
        "payload_too_large",
    )


async def test_a_streamed_body_over_the_limit_is_413(
    probe_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"role": "consumer", "name": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = await probe_client.post(
        "/v1/accounts",
        content=chunks(),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")


async def test_a_bug_is_a_500_problem_without_the_traceback(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="pool.errors"):
        response = await probe_client.get("/probe/bug", headers={"X-Request-ID": "req-abc-123"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "req-abc-123"
    assert "req-abc-123" in body["detail"]
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged
    assert "secret internal detail" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    first, second = await client.get("/healthz"), await client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
