"""API key management: issue, list, revoke (immediately), and who may do it."""

import uuid

import httpx

from tests.helpers import MakeAccount, auth


async def test_an_account_issues_lists_and_revokes_its_own_keys(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer")
    issued = await client.post(f"/v1/accounts/{ada['id']}/keys", headers=ada["headers"])
    assert issued.status_code == 201
    second = issued.json()["api_key"]
    assert second.startswith("pool_con_")
    assert second != ada["api_key"]
    assert (await client.get("/v1/accounts/me", headers=auth(second))).status_code == 200

    listed = await client.get(f"/v1/accounts/{ada['id']}/keys", headers=ada["headers"])
    keys = listed.json()["data"]
    assert len(keys) == 2
    assert all("api_key" not in key for key in keys)
    assert ada["api_key"] not in listed.text
    assert second not in listed.text
    assert {key["prefix"] for key in keys} == {ada["api_key"][:13], second[:13]}
    assert any(key["last_used_at"] for key in keys)

    revoked = await client.delete(f"/v1/keys/{issued.json()['id']}", headers=ada["headers"])
    assert revoked.status_code == 204
    refused = await client.get("/v1/accounts/me", headers=auth(second))
    assert refused.status_code == 401  # at once: the revoking process drops it from its cache
    again = await client.delete(f"/v1/keys/{issued.json()['id']}", headers=ada["headers"])
    assert again.status_code == 204
    assert (await client.get("/v1/accounts/me", headers=ada["headers"])).status_code == 200
    after = (await client.get(f"/v1/accounts/{ada['id']}/keys", headers=ada["headers"])).json()
    assert [k["revoked_at"] is not None for k in after["data"]].count(True) == 1


async def test_an_admin_manages_anyones_keys_and_nobody_else_does(
    client: httpx.AsyncClient, make_account: MakeAccount, admin_headers: dict[str, str]
) -> None:
    ada, eve = await make_account("consumer"), await make_account("manufacturer")
    by_admin = await client.post(f"/v1/accounts/{ada['id']}/keys", headers=admin_headers)
    assert by_admin.status_code == 201
    for method, path in (
        ("POST", f"/v1/accounts/{ada['id']}/keys"),
        ("GET", f"/v1/accounts/{ada['id']}/keys"),
        ("DELETE", f"/v1/keys/{by_admin.json()['id']}"),
    ):
        response = await client.request(method, path, headers=eve["headers"])
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] in {"account_not_found", "key_not_found"}
    assert (
        await client.get("/v1/accounts/me", headers=auth(by_admin.json()["api_key"]))
    ).status_code == 200
    revoke = await client.delete(f"/v1/keys/{by_admin.json()['id']}", headers=admin_headers)
    assert revoke.status_code == 204
    for path in ("/v1/accounts/not-an-id/keys", f"/v1/accounts/{uuid.uuid4()}/keys"):
        assert (await client.get(path, headers=admin_headers)).status_code == 404


async def test_a_retried_key_issue_returns_the_key_without_the_secret(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer")
    headers = {**ada["headers"], "Idempotency-Key": "rotate-1"}
    first = await client.post(f"/v1/accounts/{ada['id']}/keys", headers=headers)
    again = await client.post(f"/v1/accounts/{ada['id']}/keys", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == {**first.json(), "api_key": None}
    keys = (await client.get(f"/v1/accounts/{ada['id']}/keys", headers=ada["headers"])).json()
    assert len(keys["data"]) == 2


async def test_a_revoke_answers_204_without_a_body_or_a_content_type(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    """It said `content-type: application/json` over an empty body (found by the contract
    fuzzing): a client that parses by content type failed on it."""
    ada = await make_account("consumer")
    issued = (await client.post(f"/v1/accounts/{ada['id']}/keys", headers=ada["headers"])).json()
    revoked = await client.delete(f"/v1/keys/{issued['id']}", headers=ada["headers"])
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert "content-type" not in revoked.headers
