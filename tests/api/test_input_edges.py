"""What the contract fuzzing found, pinned down: inputs that reached the database and crashed it
(500 on PostgreSQL, some on SQLite too) are now refused up front; on both engines."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.engine import Database
from app.db.models import AuditEntry
from tests.api.groups_helpers import campaign_body, make_group, problem, request_body
from tests.helpers import MakeAccount

CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["title", "description", "category"])
async def test_group_text_refuses_control_characters(
    client: httpx.AsyncClient, make_account: MakeAccount, field: str, char: str
) -> None:
    maker = await make_account("manufacturer")
    body = campaign_body(**{field: f"Trail{char}bike"})
    answer = await client.post("/v1/groups", json=body, headers=maker["headers"])
    assert problem(answer, 422, "validation_error")["errors"][0]["loc"] == ["body", field]


async def test_a_lone_surrogate_in_json_text_is_refused(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    """``"\\ud800"`` is valid JSON but no text: PostgreSQL could not store it."""
    maker = await make_account("manufacturer")
    body = json.dumps(campaign_body(title="Trail bike")).replace("Trail", "Tr\\ud800ail")
    headers = {**maker["headers"], "Content-Type": "application/json"}
    answer = await client.post("/v1/groups", content=body, headers=headers)
    assert problem(answer, 422, "validation_error")["errors"][0]["loc"] == ["body", "title"]


async def test_a_description_keeps_tabs_and_line_breaks(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    text = "Two lines:\r\n\tindented\nand more."
    group = await make_group(client, maker, campaign_body(description=text, title=" Bike\t"))
    assert (group["description"], group["title"]) == (text, "Bike")


async def test_other_stored_text_refuses_nul(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    ada, maker = await make_account("consumer"), await make_account("manufacturer")
    named = await client.post(
        "/v1/accounts", json={"role": "consumer", "name": "A\x00"}, headers=admin_headers
    )
    problem(named, 422, "validation_error")
    group = await make_group(client, maker, campaign_body())
    join = {"quantity": 1, "max_unit_price": 2000, "delivery_area": "DE\x00BE"}
    joined = await client.post(
        f"/v1/groups/{group['id']}/intents", json=join, headers=ada["headers"]
    )
    problem(joined, 422, "validation_error")
    for hook in (
        {"url": "https://hooks.example.com/\x00", "event_types": ["*"]},
        {"url": "https://hooks.example.com/x", "event_types": ["*"], "description": "\x00"},
    ):
        answer = await client.post("/v1/webhook-endpoints", json=hook, headers=maker["headers"])
        problem(answer, 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "parameter", "role"),
    [
        ("/v1/groups", "category", "consumer"),
        ("/v1/demand", "category", "manufacturer"),
        ("/v1/audit", "object_id", "admin"),
    ],
)
async def test_text_filters_refuse_control_characters(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
    path: str,
    parameter: str,
    role: str,
) -> None:
    headers = admin_headers if role == "admin" else (await make_account(role))["headers"]
    answer = await client.get(path, params={parameter: "bikes\x00"}, headers=headers)
    problem(answer, 422, "validation_error")
    assert (await client.get(path, params={parameter: "bikes"}, headers=headers)).status_code == 200


@pytest.mark.parametrize("key", ["a\x00b", "tab\tkey", "é".encode().decode("latin-1")])
async def test_an_idempotency_key_is_printable_ascii(
    client: httpx.AsyncClient, make_account: MakeAccount, key: str
) -> None:
    maker = await make_account("manufacturer")
    headers = [*maker["headers"].items(), ("Idempotency-Key", key)]
    answer = await client.post(
        "/v1/groups",
        json=campaign_body(),
        headers=[(k.encode(), v.encode("latin-1")) for k, v in headers],
    )
    problem(answer, 422, "validation_error")


@pytest.mark.parametrize(
    "raw", ["99999999999999999999.1.1900000000", "1.9223372036854775808.1900000000", "-1.-1.1"]
)
async def test_a_feed_cursor_out_of_range_is_invalid(
    client: httpx.AsyncClient, make_account: MakeAccount, raw: str
) -> None:
    ada = await make_account("consumer")
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    answer = await client.get("/v1/events", params={"after": cursor}, headers=ada["headers"])
    problem(answer, 400, "invalid_cursor")


async def test_an_odd_path_id_is_still_audited(
    app: Any, client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str]
) -> None:
    """The audit notes the path's id as sent; a NUL in it made the whole batch fail on
    PostgreSQL, losing every note written with it."""
    answer = await client.post("/v1/groups/ab%00cd/close", headers=admin_headers)
    problem(answer, 404, "group_not_found")
    await app.state.audit.flush(db)
    async with db.read() as session:
        noted = (
            await session.scalars(
                select(AuditEntry.object_id).where(
                    AuditEntry.route == "/v1/groups/{group_id}/close"
                )
            )
        ).all()
    assert noted == ["ab\ufffdcd"]


async def test_a_request_with_a_clean_body_still_works(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer")
    group = await make_group(client, ada, request_body(category=" heat pumps "))
    assert group["category"] == "heat pumps"
