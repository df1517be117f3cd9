"""Who sees what (DESIGN §4): manufacturers never see a consumer's identity; consumers see only
their own intents."""

from __future__ import annotations

import httpx

from app.db.engine import Database
from tests.api.groups_helpers import (
    bid,
    joined,
    make_campaign,
    make_request,
    problem,
    snapshot,
    withdraw,
)
from tests.helpers import MakeAccount


async def test_a_manufacturer_never_sees_a_consumers_identity(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer", "Ada Lovelace-7f3c")
    maker, rival = await make_account("manufacturer"), await make_account("manufacturer")
    campaign = await make_campaign(client, maker)
    request = await make_request(client, ada)  # Ada owns the request
    await joined(client, ada, campaign["id"], 12, delivery_area="GB-LND")
    await joined(client, ada, request["id"], 3, max_unit_price=900)
    assert (await bid(client, maker, request["id"])).status_code == 201
    assert (await bid(client, rival, request["id"])).status_code == 201

    for viewer in (maker, rival):
        answers = [await client.get("/v1/groups", headers=viewer["headers"])]
        for group in (campaign, request):
            answers.append(await client.get(f"/v1/groups/{group['id']}", headers=viewer["headers"]))
            path = f"/v1/groups/{group['id']}/offers"
            answers.append(await client.get(path, headers=viewer["headers"]))
        assert [a.status_code for a in answers] == [200] * 5
        assert len(answers[0].json()["data"]) == 2
        assert answers[1].json()["participant_count"] == 1  # Ada's join is counted…
        for answer in answers:
            assert ada["id"] not in answer.text  # …but she is not named
            assert ada["name"] not in answer.text
            assert "Lovelace" not in answer.text

    # The probe can fail: Ada's own reads do carry her data.
    mine = await client.get("/v1/intents", headers=ada["headers"])
    assert "GB-LND" in mine.text


async def test_a_consumer_sees_only_its_own_intents(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    ann, bob = await make_account("consumer"), await make_account("consumer")
    anns = {(await joined(client, ann, group["id"], q))["id"] for q in (1, 2)}
    bobs = {(await joined(client, bob, group["id"], 3))["id"]}

    for who, own in ((ann, anns), (bob, bobs)):
        for query in ("", f"?group_id={group['id']}", "?status=active"):
            response = await client.get(f"/v1/intents{query}", headers=who["headers"])
            assert {i["id"] for i in response.json()["data"]} == own


async def test_another_consumers_intent_is_404(
    client: httpx.AsyncClient, db: Database, make_account: MakeAccount
) -> None:
    group = await make_campaign(client, await make_account("manufacturer"))
    ann, bob = await make_account("consumer"), await make_account("consumer")
    intent = await joined(client, ann, group["id"], 5)
    before = await snapshot(db)
    body = problem(await withdraw(client, bob, intent["id"]), 404, "intent_not_found")
    assert intent["id"] not in body["detail"]
    assert await snapshot(db) == before
    [still] = (await client.get("/v1/intents", headers=ann["headers"])).json()["data"]
    assert still["status"] == "active"
