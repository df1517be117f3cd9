"""The public group stream (``GET /v1/groups/{id}/stream``, Server-Sent Events) and the public
group pages (``/g``, ``/g/{id}``): no key needed, live, and never a consumer's identity."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.db.engine import Database
from app.db.models import Group
from app.web import stream
from app.web.stream import StreamGate
from tests.api.closing_helpers import cancel, close, closed
from tests.api.groups_helpers import joined, make_campaign, make_request, problem, read_group
from tests.api.stream_helpers import EventReader, streaming_client
from tests.helpers import Account, MakeAccount

TIERS = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]


@pytest.fixture
async def live(app: Any, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with streaming_client(app) as client:
        yield client


@pytest.fixture
async def maker(make_account: MakeAccount) -> Account:
    return await make_account("manufacturer", "Acme Streams")


def public(group: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in group.items() if name != "is_owner"}


async def test_first_event_is_the_public_group_then_a_join_sends_the_new_totals(
    live: httpx.AsyncClient, client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    ada = await make_account("consumer", "Ada Streamwatcher")
    await joined(client, ada, group["id"], 8)
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        events = EventReader(response)
        first = await events.next()
        assert first is not None
        assert first.event == "group"
        assert first.json() == public(await read_group(client, maker, group["id"]))
        assert first.json()["total_quantity"] == 8
        assert first.json()["current_unit_price"] is None

        grace = await make_account("consumer", "Grace Streamwatcher")
        await joined(client, grace, group["id"], 45)
        update_ = await events.next()
        assert update_ is not None
        assert update_.event == "group"
        assert int(update_.id or 0) > int(first.id or 0), "the event id is the group's version"
        after = update_.json()
        assert after["total_quantity"] == 53
        assert after["participant_count"] == 2
        assert after["current_unit_price"] == 800
        assert after["next_break"] == {"min_quantity": 100, "unit_price": 600, "units_needed": 47}
        assert "is_owner" not in after
        assert "Grace" not in update_.data
        assert grace["id"] not in update_.data


async def test_a_change_committed_elsewhere_is_seen_by_the_re_check(
    live: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, maker: Account
) -> None:
    """Another process's commit wakes nothing here: the stream's short re-check finds it."""
    group = await make_campaign(client, maker)
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        events = EventReader(response)
        assert (await events.next_group()) is not None
        async with db.write() as session:  # no event emitted, so no in-process wake-up
            await session.execute(
                update(Group)
                .where(Group.id == uuid.UUID(group["id"]))
                .values(title="Renamed elsewhere", version=Group.version + 1)
            )
            await session.commit()
        seen = await events.next_group(within=5)
        assert seen is not None
        assert seen["title"] == "Renamed elsewhere"


async def test_closing_sends_the_final_state_and_ends_the_stream(
    live: httpx.AsyncClient, client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    ada = await make_account("consumer")
    await joined(client, ada, group["id"], 12)
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        events = EventReader(response)
        assert (await events.next_group()) is not None
        assert (await close(client, maker, group["id"])).status_code == 200
        final = await events.next_group()
        assert final is not None
        assert final["status"] == "confirmed"
        assert await events.next() is None, "the stream goes on after the group closed"


async def test_a_closed_group_streams_its_state_once_and_ends(
    live: httpx.AsyncClient, client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    await joined(client, await make_account("consumer"), group["id"], 10)
    await close(client, maker, group["id"])
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        events = EventReader(response)
        only = await events.next_group()
        assert only is not None
        assert only["status"] == "confirmed"
        assert await events.next() is None


@pytest.mark.parametrize("group_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_an_unknown_group_is_404(client: httpx.AsyncClient, group_id: str) -> None:
    problem(await client.get(f"/v1/groups/{group_id}/stream"), 404, "group_not_found")


async def test_heartbeats_keep_a_quiet_stream_alive(
    live: httpx.AsyncClient,
    client: httpx.AsyncClient,
    maker: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.05)
    group = await make_campaign(client, maker)
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        events = EventReader(response)
        assert (await events.next_group()) is not None
        beat = await events.next(within=5)
        assert beat is not None
        assert (beat.event, beat.data) == ("comment", "heartbeat")


async def test_streams_end_when_the_server_stops(
    live: httpx.AsyncClient,
    client: httpx.AsyncClient,
    maker: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = await make_campaign(client, maker)
    async with live.stream("GET", f"/v1/groups/{group['id']}/stream") as response:
        events = EventReader(response)
        assert (await events.next_group()) is not None
        monkeypatch.setattr(stream, "server_stopping", lambda: True)
        assert await events.next(within=5) is None


async def test_a_disconnect_ends_the_stream_and_frees_its_place(
    app: Any, live: httpx.AsyncClient, client: httpx.AsyncClient, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    previous = getattr(app.state, "group_streams", None)
    app.state.group_streams = gate = StreamGate(per_client=1, total=10)
    try:
        url = f"/v1/groups/{group['id']}/stream"
        async with live.stream("GET", url) as response:
            assert (await EventReader(response).next_group()) is not None
            problem(await client.get(url), 429, "too_many_streams")
        # Leaving the block closed the response: the app saw the disconnect and ended
        # (the transport fails otherwise) and gave its place back.
        assert gate._open.total() == 0
        async with live.stream("GET", url) as response:
            assert response.status_code == 200
        app.state.group_streams = StreamGate(per_client=5, total=0)
        problem(await client.get(url), 503, "server_busy")
    finally:
        app.state.group_streams = previous


def test_server_stopping_reads_uvicorns_exit_flag() -> None:
    import signal

    class FakeServer:
        should_exit = False

        def handle_exit(self, sig: int, frame: object) -> None:
            self.should_exit = True

    server = FakeServer()
    original = signal.signal(signal.SIGTERM, server.handle_exit)
    try:
        assert not stream.server_stopping()
        server.should_exit = True
        assert stream.server_stopping()
    finally:
        signal.signal(signal.SIGTERM, original)
    assert not stream.server_stopping()


# ---- the HTML pages -----------------------------------------------------------------------------


async def test_the_group_page_shows_the_group_and_no_participant(
    client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker, title="Cargo bike <Long John>", max_quantity=400)
    ada = await make_account("consumer", "Ada Pagewatcher")
    intent = await joined(client, ada, group["id"], 38, delivery_area="DE-BY-secret-area")
    response = await client.get(f"/g/{group['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Cargo bike &lt;Long John&gt;" in page, "the title is shown, escaped"
    assert "<Long John>" not in page
    assert "12 more units and everyone pays 8.00 EUR." in page
    for price in ("10.00 EUR", "8.00 EUR", "6.00 EUR"):
        assert price in page, "the whole ladder is drawn"
    assert 'aria-current="step"' in page
    for secret in ("Ada", ada["id"], intent["id"], "DE-BY-secret-area", maker["id"], "Acme"):
        assert secret not in page, f"the public page shows {secret!r}"
    assert "https://" not in page.split("</head>")[0], "no external resource"


async def test_the_progress_bar_measures_from_the_tier_reached(
    client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    await joined(client, await make_account("consumer"), group["id"], 38)
    page = (await client.get(f"/g/{group['id']}")).text
    assert 'aria-valuenow="70"' in page, "(38 - 10) / (50 - 10)"
    assert "width: 70%" in page


async def test_a_request_without_offers_says_so(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("consumer", "Ada Requester")
    group = await make_request(client, ada, title="Quiet heat pump")
    page = (await client.get(f"/g/{group['id']}")).text
    assert "Quiet heat pump" in page
    assert "No offer yet: manufacturers are invited to bid." in page
    assert "Ada" not in page
    assert ada["id"] not in page


def highlighted(page: str) -> list[str]:
    """The prices of the ladder's highlighted steps."""
    steps = re.findall(
        r'<li class="step \w+" aria-current="step">.*?<span class="p">(.*?)</span>',
        page,
        flags=re.S,
    )
    return [price.strip() for price in steps]


async def test_a_confirmed_page_highlights_the_clearing_price_not_the_pledged_total(
    client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    await joined(client, await make_account("consumer"), group["id"], 38, max_unit_price=1000)
    await joined(client, await make_account("consumer"), group["id"], 12, max_unit_price=700)
    before = (await client.get(f"/g/{group['id']}")).text
    assert highlighted(before) == ["8.00 EUR"], "50 units pledged reach the 8.00 step"
    outcome = await closed(client, maker, group["id"])
    assert outcome["unit_price"] == 1000, "the 7.00 limit is left out: 38 units clear at 10.00"
    page = (await client.get(f"/g/{group['id']}")).text
    assert highlighted(page) == ["10.00 EUR"]
    assert "Closed: everyone pays 10.00 EUR." in page
    assert "Final price" in page
    assert re.search(r'<div class="progress" id="progress"[^>]*\shidden>', page), "no bar"


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
async def test_a_failed_or_cancelled_page_highlights_no_step(
    client: httpx.AsyncClient, make_account: MakeAccount, maker: Account, outcome: str
) -> None:
    group = await make_campaign(client, maker)
    await joined(client, await make_account("consumer"), group["id"], 4)  # below the first tier
    if outcome == "failed":
        assert (await close(client, maker, group["id"])).status_code == 200
    else:
        assert (await cancel(client, maker, group["id"])).status_code == 200
    page = (await client.get(f"/g/{group['id']}")).text
    assert f"status-{outcome}" in page
    assert highlighted(page) == []
    assert ("This group failed." if outcome == "failed" else "Cancelled.") in page
    assert "more units and everyone pays" not in page


async def test_a_key_in_the_query_string_is_never_echoed(
    client: httpx.AsyncClient, maker: Account
) -> None:
    group = await make_campaign(client, maker)
    secret = "pool_con_not-for-the-page-0123456789"
    page = await client.get(f"/g/{group['id']}", params={"key": secret})
    assert page.status_code == 200
    assert secret not in page.text
    script = (await client.get("/static/group.js")).text
    assert "location.hash" in script, "the page takes a key from its #fragment"


async def test_the_index_lists_open_groups_only(
    client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    shown = await make_campaign(client, maker, title="Open tandem")
    gone = await make_campaign(client, maker, title="Closed unicycle")
    await joined(client, await make_account("consumer", "Ada Indexer"), gone["id"], 10)
    await close(client, maker, gone["id"])
    page = (await client.get("/g")).text
    assert "Open tandem" in page
    assert f"/g/{shown['id']}" in page
    assert "Closed unicycle" not in page
    assert "Ada" not in page
    home = await client.get("/")
    assert home.status_code == 307
    assert home.headers["location"] == "/g"


@pytest.mark.parametrize("group_id", [str(uuid.uuid4()), "nope"])
async def test_an_unknown_group_page_is_a_404_page(
    client: httpx.AsyncClient, group_id: str
) -> None:
    response = await client.get(f"/g/{group_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No such group" in response.text


async def test_the_page_script_and_the_stream_need_no_key(
    client: httpx.AsyncClient, maker: Account
) -> None:
    script = await client.get("/static/group.js")
    assert script.status_code == 200
    assert "EventSource" in script.text
    group = await make_campaign(client, maker)
    await close(client, maker, group["id"])  # closed, so the stream ends and the body is whole
    response = await client.get(f"/v1/groups/{group['id']}/stream")
    assert response.status_code == 200
    assert response.text.startswith("retry: 2000\n")
    assert "event: group\n" in response.text


async def test_many_streams_at_once(
    live: httpx.AsyncClient, client: httpx.AsyncClient, make_account: MakeAccount, maker: Account
) -> None:
    """Every open stream of a group gets the join."""
    group = await make_campaign(client, maker)
    url = f"/v1/groups/{group['id']}/stream"
    async with (
        live.stream("GET", url) as one,
        live.stream("GET", url) as two,
        live.stream("GET", url) as three,
    ):
        readers = [EventReader(r) for r in (one, two, three)]
        await asyncio.gather(*(reader.next_group() for reader in readers))
        await joined(client, await make_account("consumer"), group["id"], 50)
        seen = await asyncio.gather(*(reader.next_group() for reader in readers))
        assert [g["current_unit_price"] if g else None for g in seen] == [800, 800, 800]
