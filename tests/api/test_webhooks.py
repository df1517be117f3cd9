"""Webhook endpoints over the API: CRUD, roles, the secret shown once, rotation, foreign ids,
validation and URL rules, Idempotency-Key replays, the fan-out's visibility, deliveries listing.

The session app refuses private URLs, so endpoints here point at a public IP literal (no DNS
needed); anything sent goes to an ``httpx.MockTransport``, never to the network.
"""

from __future__ import annotations

import base64
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.db.engine import Database
from app.db.models import IdempotencyKey, WebhookAttempt, WebhookEndpoint
from app.settings import Settings
from app.webhooks.delivery import deliver_due, retry_delay
from app.webhooks.sender import retry_after_seconds
from app.webhooks.urls import WebhookUrlNotAllowed, check_url
from tests.api.groups_helpers import problem
from tests.e2e.webhook_helpers import catch_up, create_endpoint, deliveries, open_campaign
from tests.helpers import MakeAccount

PUBLIC = "https://93.184.215.14/hooks"  # a public address: accepted without a name lookup
BASE = "/v1/webhook-endpoints"


async def count_endpoints(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


async def test_the_secret_is_shown_once_and_never_listed(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    body = {"url": PUBLIC, "event_types": ["order.created"], "description": "ERP"}
    created = await client.post(BASE, json=body, headers=maker["headers"])
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert len(base64.b64decode(endpoint["secret"].removeprefix("whsec_"))) == 32
    assert {k: endpoint[k] for k in ("url", "event_types", "description", "status")} == {
        **body,
        "status": "enabled",
    }
    shown = await client.get(f"{BASE}/{endpoint['id']}", headers=maker["headers"])
    listed = await client.get(BASE, headers=maker["headers"])
    assert "secret" not in shown.json()
    assert [e["id"] for e in listed.json()["data"]] == [endpoint["id"]]
    assert "secret" not in listed.json()["data"][0]
    assert endpoint["secret"] not in shown.text + listed.text


async def test_admins_may_register_endpoints_consumers_may_not(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    consumer = await make_account("consumer")
    body = {"url": PUBLIC, "event_types": ["*"]}
    assert (await client.post(BASE, json=body, headers=admin_headers)).status_code == 201
    problem(await client.post(BASE, json=body, headers=consumer["headers"]), 403, "forbidden")
    problem(await client.get(BASE, headers=consumer["headers"]), 403, "forbidden")
    problem(await client.post(BASE, json=body), 401, "unauthenticated")
    problem(await client.get(BASE), 401, "unauthenticated")


async def test_another_accounts_endpoint_is_404_everywhere(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    owner, other = await make_account("manufacturer"), await make_account("manufacturer")
    endpoint = await create_endpoint(client, owner["headers"], PUBLIC)
    path = f"{BASE}/{endpoint['id']}"
    some_delivery = f"{path}/deliveries/{uuid.uuid4()}"
    for who in (other["headers"], admin_headers):
        for method, url in [
            ("GET", path),
            ("DELETE", path),
            ("POST", f"{path}/rotate-secret"),
            ("POST", f"{path}/enable"),
            ("GET", f"{path}/deliveries"),
            ("GET", f"{some_delivery}/attempts"),
            ("POST", f"{some_delivery}/redeliver"),
            ("POST", f"{path}/events/1/redeliver"),
        ]:
            response = await client.request(method, url, headers=who)
            problem(response, 404, "webhook_endpoint_not_found")
    assert (await client.get(BASE, headers=other["headers"])).json()["data"] == []
    problem(
        await client.get(f"{BASE}/nope", headers=owner["headers"]),
        404,
        "webhook_endpoint_not_found",
    )
    missing = await client.get(f"{some_delivery}/attempts", headers=owner["headers"])
    problem(missing, 404, "webhook_delivery_not_found")
    assert (await client.get(path, headers=owner["headers"])).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC, "event_types": []},
        {"url": PUBLIC, "event_types": ["order.shipped"]},
        {"url": PUBLIC, "event_types": ["*", "order.created"]},
        {"url": PUBLIC},
        {"event_types": ["*"]},
        {"url": PUBLIC, "event_types": ["*"], "description": "x" * 501},
        {"url": PUBLIC, "event_types": ["*"], "secret": "whsec_mine"},
    ],
)
async def test_an_invalid_endpoint_is_422_and_creates_nothing(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, body: dict[str, Any]
) -> None:
    maker = await make_account("manufacturer")
    problem(await client.post(BASE, json=body, headers=maker["headers"]), 422, "validation_error")
    assert await count_endpoints(db) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hooks",
        "ftp://93.184.215.14/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://localhost:8443/hooks",
        "not a url",
    ],
)
async def test_a_url_that_is_not_https_to_a_public_address_is_refused(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount, url: str
) -> None:
    maker = await make_account("manufacturer")
    response = await client.post(
        BASE, json={"url": url, "event_types": ["*"]}, headers=maker["headers"]
    )
    problem(response, 422, "webhook_url_not_allowed")
    assert await count_endpoints(db) == 0


@pytest.mark.parametrize(
    ("addresses", "allowed"),
    [
        (["93.184.215.14"], True),
        (["2606:2800:21f:cb07:6820:80da:af6b:8b2c"], True),
        (["93.184.215.14", "10.0.0.7"], False),  # every address must be public
        (["192.168.1.10"], False),
        (["100.64.0.1"], False),  # carrier-grade NAT
        (["224.0.0.1"], False),  # multicast
        (["240.0.0.1"], False),  # reserved
        (["0.0.0.0"], False),  # noqa: S104  (an address we refuse, not one we bind)
        (["fe80::1%eth0"], False),  # link-local, with a scope
        (["fc00::1"], False),  # unique local
        (["2001:db8::1"], False),  # documentation
        ([], False),
    ],
)
async def test_every_resolved_address_must_be_public(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str], allowed: bool
) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = "https://hooks.example.com/pool"
    if allowed:
        await check_url(url, allow_private=False)
    else:
        with pytest.raises(WebhookUrlNotAllowed):
            await check_url(url, allow_private=False)
    await check_url("http://hooks.example.com:8080/x", allow_private=True)  # no lookup at all


async def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(WebhookUrlNotAllowed, match="does not resolve"):
        await check_url("https://nowhere.example/x", allow_private=False)


async def test_rotation_shows_a_new_secret_once_and_keeps_the_old_one_for_a_day(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    endpoint = await create_endpoint(client, maker["headers"], PUBLIC)
    before = datetime.now(UTC)
    rotated = await client.post(f"{BASE}/{endpoint['id']}/rotate-secret", headers=maker["headers"])
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != endpoint["secret"]
    until = datetime.fromisoformat(new["previous_secret_expires_at"])
    assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)
    async with db.read() as session:
        row = await session.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
    assert row is not None
    assert (row.secret, row.previous_secret) == (new["secret"], endpoint["secret"])
    shown = await client.get(f"{BASE}/{endpoint['id']}", headers=maker["headers"])
    assert shown.json()["previous_secret_expires_at"] == new["previous_secret_expires_at"]
    assert "secret" not in shown.json()


async def test_a_replayed_create_returns_the_endpoint_without_its_secret(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    headers = {**maker["headers"], "Idempotency-Key": "hook-1"}
    body = {"url": PUBLIC, "event_types": ["order.created"]}
    first = await client.post(BASE, json=body, headers=headers)
    again = await client.post(BASE, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["secret"].startswith("whsec_")
    assert again.json() == {**first.json(), "secret": None}
    assert await count_endpoints(db) == 1
    async with db.read() as session:
        stored = (await session.scalars(select(IdempotencyKey.response))).one()
    assert first.json()["secret"] not in stored
    other = await client.post(BASE, json={**body, "event_types": ["*"]}, headers=headers)
    problem(other, 422, "idempotency_key_reused")


async def test_deleting_an_endpoint_removes_it(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    endpoint = await create_endpoint(client, maker["headers"], PUBLIC)
    await open_campaign(client, maker["headers"])
    await catch_up(db)
    deleted = await client.delete(f"{BASE}/{endpoint['id']}", headers=maker["headers"])
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = await client.delete(f"{BASE}/{endpoint['id']}", headers=maker["headers"])
    problem(again, 404, "webhook_endpoint_not_found")
    assert await count_endpoints(db) == 0


async def test_the_endpoint_list_is_paginated_newest_first(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    ids = [(await create_endpoint(client, maker["headers"], PUBLIC))["id"] for _ in range(3)]
    first = (await client.get(f"{BASE}?limit=2", headers=maker["headers"])).json()
    cursor = first["next_cursor"]
    rest = (await client.get(f"{BASE}?limit=2&cursor={cursor}", headers=maker["headers"])).json()
    assert [e["id"] for e in first["data"] + rest["data"]] == ids[::-1]
    assert rest["next_cursor"] is None


async def test_an_endpoint_receives_the_events_its_account_may_see_from_its_creation_on(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
) -> None:
    maker, rival = await make_account("manufacturer"), await make_account("manufacturer")
    consumer = await make_account("consumer")
    early = await open_campaign(client, rival["headers"])  # before any endpoint: never sent
    mine = await create_endpoint(client, maker["headers"], PUBLIC, ["*"])
    theirs = await create_endpoint(client, rival["headers"], PUBLIC, ["intent.created"])
    admins = await create_endpoint(client, admin_headers, PUBLIC, ["*"])
    group = await open_campaign(client, maker["headers"])
    joined = await client.post(
        f"/v1/groups/{group['id']}/intents", json={"quantity": 3}, headers=consumer["headers"]
    )
    assert joined.status_code == 201, joined.text
    await catch_up(db)

    async def types(headers: dict[str, str], endpoint: dict[str, Any]) -> list[str]:
        return sorted(d["event_type"] for d in await deliveries(client, headers, endpoint["id"]))

    public = ["group.created", "offer.created"]
    assert await types(maker["headers"], mine) == public  # the intent is the consumer's
    assert await types(rival["headers"], theirs) == []
    assert await types(admin_headers, admins) == sorted([*public, "intent.created"])
    sent = await deliveries(client, admin_headers, admins["id"])
    assert early["id"] not in str(sent)


async def test_deliveries_are_listed_with_their_attempts_and_can_be_redelivered(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    headers = maker["headers"]
    endpoint = await create_endpoint(client, headers, PUBLIC, ["*"])
    path = f"{BASE}/{endpoint['id']}/deliveries"
    await open_campaign(client, headers)
    await catch_up(db)
    page = (await client.get(f"{path}?limit=1", headers=headers)).json()
    rest = await client.get(f"{path}?limit=1&cursor={page['next_cursor']}", headers=headers)
    newest, oldest = page["data"][0], rest.json()["data"][0]
    assert (oldest["event_type"], newest["event_type"]) == ("group.created", "offer.created")
    assert rest.json()["next_cursor"] is None
    assert oldest["webhook_id"] == f"evt_{oldest['event_id']}"
    assert (oldest["status"], oldest["attempts"], oldest["delivered_at"]) == ("pending", 0, None)
    assert oldest["next_attempt_at"] is not None

    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500, text="database down")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        assert await deliver_due(db, http, settings) == 1  # only the head of the queue
    assert [str(r.url) for r in sent] == [PUBLIC]
    assert sent[0].headers["webhook-id"] == oldest["webhook_id"]
    attempts = (await client.get(f"{path}/{oldest['id']}/attempts", headers=headers)).json()
    [attempt] = attempts["data"]
    assert (attempt["status_code"], attempt["response_excerpt"]) == (500, "database down")
    failed = (await client.get(f"{path}?status=pending", headers=headers)).json()["data"]
    shown = next(d for d in failed if d["id"] == oldest["id"])
    assert (shown["attempts"], shown["last_status_code"]) == (1, 500)
    shown_endpoint = (await client.get(f"{BASE}/{endpoint['id']}", headers=headers)).json()
    assert shown_endpoint["failing_since"] is not None
    assert (await client.get(f"{path}?status=succeeded", headers=headers)).json()["data"] == []

    redelivered = await client.post(f"{path}/{oldest['id']}/redeliver", headers=headers)
    assert redelivered.status_code == 202, redelivered.text
    assert (redelivered.json()["status"], redelivered.json()["attempts"]) == ("pending", 0)
    async with db.write() as session:
        row = await session.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
        assert row is not None
        row.status = "disabled"  # type: ignore[assignment]
        await session.commit()
    refused = await client.post(f"{path}/{oldest['id']}/redeliver", headers=headers)
    problem(refused, 409, "webhook_endpoint_disabled")


async def feed_event(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> int:
    """The id of the one event of type ``kind`` the caller sees in the feed."""
    response = await client.get("/v1/events", params={"types": kind}, headers=headers)
    assert response.status_code == 200, response.text
    [event] = response.json()["data"]
    return int(event["id"])


async def send_due(db: Database, settings: Settings, status: int = 200) -> list[httpx.Request]:
    """One delivery pass of the worker; the requests it sent, answered with ``status``."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        await deliver_due(db, http, settings)
    return sent


async def test_an_event_older_than_the_endpoint_can_be_delivered_to_it_on_request(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    headers = maker["headers"]
    await open_campaign(client, headers)  # before the endpoint: the fan-out leaves it out
    endpoint = await create_endpoint(client, headers, PUBLIC, ["group.created"])
    await catch_up(db)
    assert await deliveries(client, headers, endpoint["id"]) == []
    event_id = await feed_event(client, headers, "group.created")
    path = f"{BASE}/{endpoint['id']}/events/{event_id}/redeliver"

    armed = await client.post(path, headers=headers)
    assert armed.status_code == 202, armed.text
    delivery = armed.json()
    assert delivery["event_id"] == event_id
    assert (delivery["event_type"], delivery["webhook_id"]) == ("group.created", f"evt_{event_id}")
    assert (delivery["status"], delivery["attempts"], delivery["delivered_at"]) == (
        "pending",
        0,
        None,
    )
    assert await deliveries(client, headers, endpoint["id"]) == [delivery]
    [request] = await send_due(db, settings)
    assert (str(request.url), request.headers["webhook-id"]) == (PUBLIC, f"evt_{event_id}")
    [done] = await deliveries(client, headers, endpoint["id"])
    assert (done["id"], done["status"], done["attempts"]) == (delivery["id"], "succeeded", 1)

    # Once more: the same delivery, re-armed; sent again with the same webhook-id.
    again = await client.post(path, headers=headers)
    assert again.status_code == 202, again.text
    assert (again.json()["id"], again.json()["status"], again.json()["attempts"]) == (
        delivery["id"],
        "pending",
        0,
    )
    [request] = await send_due(db, settings)
    assert request.headers["webhook-id"] == f"evt_{event_id}"
    assert [d["id"] for d in await deliveries(client, headers, endpoint["id"])] == [delivery["id"]]
    async with db.read() as session:
        attempts = await session.scalar(select(func.count()).select_from(WebhookAttempt))
    assert attempts == 2


async def test_redelivering_an_event_re_arms_its_fanned_out_delivery(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    headers = maker["headers"]
    endpoint = await create_endpoint(client, headers, PUBLIC, ["group.created"])
    await open_campaign(client, headers)
    await catch_up(db)
    [fanned] = await deliveries(client, headers, endpoint["id"])
    settings = settings.model_copy(update={"webhook_retry_schedule": ()})  # no retry: failed
    [first] = await send_due(db, settings, status=500)
    [failed] = await deliveries(client, headers, endpoint["id"])
    assert (failed["status"], failed["attempts"]) == ("failed", 1)

    path = f"{BASE}/{endpoint['id']}/events/{fanned['event_id']}/redeliver"
    armed = await client.post(path, headers=headers)
    assert armed.status_code == 202, armed.text
    assert (armed.json()["id"], armed.json()["webhook_id"]) == (fanned["id"], fanned["webhook_id"])
    assert (armed.json()["status"], armed.json()["attempts"]) == ("pending", 0)
    [second] = await send_due(db, settings)
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == fanned["webhook_id"]
    [done] = await deliveries(client, headers, endpoint["id"])
    assert (done["id"], done["status"], done["attempts"]) == (fanned["id"], "succeeded", 1)


async def test_only_events_the_endpoint_may_be_sent_can_be_redelivered(
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
) -> None:
    maker, consumer = await make_account("manufacturer"), await make_account("consumer")
    everything = await create_endpoint(client, maker["headers"], PUBLIC, ["*"])
    offers_only = await create_endpoint(client, maker["headers"], PUBLIC, ["offer.created"])
    admins = await create_endpoint(client, admin_headers, PUBLIC, ["intent.created"])
    group = await open_campaign(client, maker["headers"])
    joined = await client.post(
        f"/v1/groups/{group['id']}/intents", json={"quantity": 3}, headers=consumer["headers"]
    )
    assert joined.status_code == 201, joined.text
    private = await feed_event(client, admin_headers, "intent.created")  # the consumer's own
    public = await feed_event(client, maker["headers"], "group.created")

    def path(endpoint: dict[str, Any], event: int | str) -> str:
        return f"{BASE}/{endpoint['id']}/events/{event}/redeliver"

    unseen = await client.post(path(everything, private), headers=maker["headers"])
    body = problem(unseen, 404, "event_not_found")
    missing = await client.post(path(everything, private + 1000), headers=maker["headers"])
    fields = ("type", "title", "status", "code", "detail")
    # Another account's event looks exactly like none at all.
    assert [body.get(f) for f in fields] == [missing.json().get(f) for f in fields]
    unsubscribed = await client.post(path(offers_only, public), headers=maker["headers"])
    problem(unsubscribed, 404, "event_not_found")
    for bad in ("0", "-1", "abc", "1.5", str(2**63), "%C2%B2"):
        problem(
            await client.post(path(everything, bad), headers=maker["headers"]),
            404,
            "event_not_found",
        )
    assert await deliveries(client, maker["headers"], everything["id"]) == []
    assert await deliveries(client, maker["headers"], offers_only["id"]) == []

    seen = await client.post(path(admins, private), headers=admin_headers)  # admins see all
    assert seen.status_code == 202, seen.text
    assert seen.json()["webhook_id"] == f"evt_{private}"
    shown = await client.post(path(everything, public), headers=maker["headers"])
    assert shown.status_code == 202, shown.text

    async with db.write() as session:
        await session.execute(update(WebhookEndpoint).values(status="disabled"))
        await session.commit()
    disabled = await client.post(path(everything, public), headers=maker["headers"])
    problem(disabled, 409, "webhook_endpoint_disabled")


async def test_any_answer_body_is_recorded_safely(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_account: MakeAccount
) -> None:
    maker = await make_account("manufacturer")
    endpoint = await create_endpoint(client, maker["headers"], PUBLIC)
    await open_campaign(client, maker["headers"])
    await catch_up(db)
    answer = httpx.Response(502, content=b"bad\x00\xffgateway" + b"x" * 5000)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: answer)) as http:
        assert await deliver_due(db, http, settings) == 1
    [delivery] = await deliveries(client, maker["headers"], endpoint["id"])
    path = f"{BASE}/{endpoint['id']}/deliveries/{delivery['id']}/attempts"
    [attempt] = (await client.get(path, headers=maker["headers"])).json()["data"]
    assert attempt["status_code"] == 502
    assert attempt["response_excerpt"] == ("bad\ufffd\ufffdgateway" + "x" * 500)[:500]


def test_retry_delays_follow_the_schedule_with_jitter_and_a_longer_retry_after() -> None:
    schedule = (5, 300)
    assert 4.5 <= (retry_delay(1, schedule, None) or 0) <= 5.5  # ±10 % jitter
    assert 270 <= (retry_delay(2, schedule, None) or 0) <= 330
    assert retry_delay(3, schedule, None) is None  # the schedule is exhausted
    assert retry_delay(1, schedule, 60) == 60
    assert (retry_delay(2, schedule, 10) or 0) >= 270  # Retry-After only lengthens
    assert retry_delay(1, schedule, 10**9) == 24 * 3600  # capped at a day


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Sun, 22 Nov 2026 10:02:00 GMT", 120.0),
        ("Sun, 22 Nov 2026 09:00:00 GMT", 0.0),  # in the past: at once
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
