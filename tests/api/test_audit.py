"""The audit trail: who did what, on which object, with what outcome; admins read it."""

import httpx

from app.db.engine import Database
from tests.api.feed_helpers import campaign
from tests.helpers import MakeAccount


async def test_state_changes_are_audited_with_their_outcome(
    app: object,
    client: httpx.AsyncClient,
    db: Database,
    make_account: MakeAccount,
    admin_headers: dict[str, str],
) -> None:
    maker, ada = await make_account("manufacturer"), await make_account("consumer")
    group = await campaign(client, maker["headers"])
    refused = await client.post(f"/v1/groups/{group['id']}/close", headers=ada["headers"])
    assert refused.status_code == 403
    await client.get(f"/v1/groups/{group['id']}", headers=ada["headers"])  # a read: not audited
    await app.state.audit.flush(db)  # type: ignore[attr-defined]

    trail = await client.get("/v1/audit", headers=admin_headers)
    assert trail.status_code == 200
    entries = {(e["account_id"], e["route"]): e for e in trail.json()["data"]}
    created = entries[(maker["id"], "/v1/groups")]
    assert (created["method"], created["status"], created["object_id"]) == (
        "POST",
        201,
        group["id"],
    )
    denied = entries[(ada["id"], "/v1/groups/{group_id}/close")]
    assert (denied["status"], denied["object_id"]) == (403, group["id"])
    assert not any(route == "/v1/groups/{group_id}" for _, route in entries)
    for entry in trail.json()["data"]:
        assert entry["request_id"]

    mine = await client.get("/v1/audit", params={"account_id": ada["id"]}, headers=admin_headers)
    assert [e["route"] for e in mine.json()["data"]] == ["/v1/groups/{group_id}/close"]
    on_group = await client.get(
        "/v1/audit", params={"object_id": group["id"]}, headers=admin_headers
    )
    assert {e["status"] for e in on_group.json()["data"]} == {201, 403}
    assert (await client.get("/v1/audit", headers=ada["headers"])).status_code == 403
