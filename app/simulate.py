"""``pool demo --simulate``: the whole life of one group, live in the terminal.

Talks to a RUNNING server over HTTP, like any integrator would: an admin key creates a
manufacturer and a handful of consumers, the manufacturer opens a campaign with a visible price
ladder, consumers arrive over about a minute with small random quantities (the price walks down the
ladder as breaks are reached), then the manufacturer closes the group and the clearing and the order
it emitted are shown. A couple of bargain hunters set a limit below every tier, so the clearing
also shows what happens to an intent whose limit is too low. The group's public page is printed
when the campaign opens, so that a person can watch the same group live in a browser.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

CURRENCY = "EUR"
# (min_quantity, unit_price in cents): the price breaks of the simulated campaign.
LADDER = ((10, 129_900), (25, 119_900), (50, 109_900), (80, 99_900))
TARGET_UNITS = 90  # the consumers pledge about this much: past the last break
BARGAIN_LIMIT = 95_000  # below every tier: these intents are rejected at the clearing
CONSUMERS = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Frances")
AREAS = ("DE-BE", "DE-HH", "FR-75", "NL-NH")


class SimulationError(Exception):
    """The server refused a step or could not be reached; the message says which and why."""


def money(cents: int | None, currency: str = CURRENCY) -> str:
    if cents is None:
        return "-"
    major, minor = divmod(cents, 100)
    return f"{major:,}.{minor:02d} {currency}"


class Api:
    """One account's view of the API: JSON in, JSON out, a problem+json answer raises."""

    def __init__(self, http: httpx.Client, key: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise SimulationError(f"{method} {path} failed: {exc}") from None
        if response.is_success:
            answer: dict[str, Any] = response.json()
            return answer
        try:
            problem = response.json()
            reason = f"{problem.get('code')}: {problem.get('detail')}"
        except ValueError:
            reason = response.text[:200]
        raise SimulationError(f"{method} {path} answered {response.status_code} ({reason})")


@dataclass(frozen=True, slots=True)
class Arrival:
    """A consumer joining ``at`` seconds after the start."""

    at: float
    consumer: int
    quantity: int
    limit: int | None  # None: the price the group shows when joining (DESIGN §3.4)
    area: str


def plan(seconds: float, rng: random.Random) -> list[Arrival]:
    """Small random pledges adding up to about ``TARGET_UNITS``, spread over ``seconds``; two of
    them (at random places) from bargain hunters whose limit no tier meets."""
    pledges: list[tuple[int, int | None]] = []
    while sum(quantity for quantity, _ in pledges) < TARGET_UNITS:
        pledges.append((rng.randint(1, 6), None))
    for _ in range(2):
        pledges.insert(rng.randrange(len(pledges) + 1), (rng.randint(1, 2), BARGAIN_LIMIT))
    count = len(pledges)
    return [
        Arrival(
            at=seconds * (i + rng.uniform(0.1, 0.9)) / count,
            consumer=rng.randrange(len(CONSUMERS)),
            quantity=quantity,
            limit=limit,
            area=rng.choice(AREAS),
        )
        for i, (quantity, limit) in enumerate(pledges)
    ]


@dataclass
class Board:
    """What the live display shows: the group as last read, and the arrivals so far."""

    group: dict[str, Any]
    planned: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    joined: int = 0

    def render(self) -> RenderableType:
        group = self.group
        last_break = LADDER[-1][0]
        total = int(group["total_quantity"])
        bars = Table.grid(padding=(0, 1))
        bars.add_column(style="bold", width=12)
        bars.add_column(width=32)
        bars.add_column()
        bars.add_row(
            "pooled units",
            ProgressBar(total=last_break, completed=min(total, last_break), width=32),
            f"{total} pledged; the best price from {last_break}",
        )
        elapsed = min(time.monotonic() - self.started, self.seconds)
        bars.add_row(
            "arrivals",
            ProgressBar(total=max(self.planned, 1), completed=self.joined, width=32),
            f"{self.joined}/{self.planned} in {elapsed:.0f}/{self.seconds:.0f} s",
        )
        summary = Text.assemble(
            ("price now ", "bold"),
            (money(group["current_unit_price"]), "bold green"),
            f"   participants {group['participant_count']}   intents {group['intent_count']}"
            f"   status {group['status']}",
        )
        return Panel(
            Group(summary, bars, ladder_table(group)),
            title=f"[bold]{group['title']}",
            subtitle=f"group {group['id']}",
            expand=False,
        )


def ladder_table(group: dict[str, Any]) -> Table:
    table = Table(title="price ladder", title_justify="left", expand=False)
    table.add_column("from units", justify="right")
    table.add_column("unit price", justify="right")
    table.add_column("")
    total = int(group["total_quantity"])
    current = group["current_unit_price"]
    for tier in group["tiers"]:
        threshold, price = int(tier["min_quantity"]), int(tier["unit_price"])
        if price == current:
            note, style = Text("◀ price now", "bold green"), "bold"
        elif total >= threshold:
            note, style = Text("✓ passed", "green"), "dim"
        else:
            note, style = Text(f"{threshold - total} more units", "yellow"), ""
        table.add_row(str(threshold), money(price), note, style=style)
    return table


@dataclass
class Cast:
    admin: Api
    maker: Api
    consumers: list[Api]


def create_cast(http: httpx.Client, admin_key: str, tag: str) -> Cast:
    admin = Api(http, admin_key)
    me = admin.call("GET", "/v1/accounts/me")
    if me.get("role") != "admin":
        raise SimulationError("the --admin-key does not belong to an admin account")

    def account(role: str, name: str) -> Api:
        created = admin.call("POST", "/v1/accounts", {"role": role, "name": f"{name} (sim {tag})"})
        return Api(http, str(created["api_key"]))

    return Cast(
        admin=admin,
        maker=account("manufacturer", "Simulated Bikes"),
        consumers=[account("consumer", name) for name in CONSUMERS],
    )


def open_campaign(maker: Api, tag: str) -> dict[str, Any]:
    return maker.call(
        "POST",
        "/v1/groups",
        {
            "title": f"City e-bike, pooled (simulation {tag})",
            "description": "Opened by `pool demo --simulate`: watch the price walk down.",
            "category": "bikes",
            "currency": CURRENCY,
            "deadline": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "max_quantity": 200,
            "offer": {
                "currency": CURRENCY,
                "tiers": [{"min_quantity": q, "unit_price": p} for q, p in LADDER],
            },
        },
    )


def _waits(until: float) -> Iterator[None]:
    """Yields every quarter second until the monotonic clock reaches ``until``."""
    while (left := until - time.monotonic()) > 0:
        time.sleep(min(left, 0.25))
        yield


def run(
    url: str,
    admin_key: str,
    seconds: float,
    *,
    console: Console | None = None,
    seed: int | None = None,
) -> int:
    """Run the simulation against the server at ``url``; the exit code (0 when an order was
    emitted)."""
    console = console or Console(highlight=False)
    rng = random.Random(seed)  # noqa: S311  (a demo, not cryptography)
    tag = uuid.uuid4().hex[:6]
    base = url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            try:
                http.get("/healthz").raise_for_status()
            except httpx.HTTPError:
                raise SimulationError(
                    f"no Pool server answers at {base}: start one first (`make run` or "
                    "`pool serve`), or pass --url"
                ) from None
            return _simulate(console, http, admin_key, seconds, rng, tag)
    except SimulationError as exc:
        console.print(f"[bold red]pool: simulation stopped:[/] {exc}")
        return 1


def _simulate(
    console: Console,
    http: httpx.Client,
    admin_key: str,
    seconds: float,
    rng: random.Random,
    tag: str,
) -> int:
    base = str(http.base_url).rstrip("/")  # httpx keeps a trailing slash on the base URL
    console.rule(f"[bold]Pool simulation against {base}")
    cast = create_cast(http, admin_key, tag)
    console.print(
        f"Created a manufacturer and {len(cast.consumers)} consumers (their names end in "
        f"'(sim {tag})')."
    )
    group = open_campaign(cast.maker, tag)
    group_path = f"/v1/groups/{group['id']}"
    ladder = ", ".join(f"{q}+ units: {money(p)}" for q, p in LADDER)
    console.print(f"The manufacturer opened a campaign with the ladder {ladder}.")
    console.print(f"Watch it live in a browser: {base}/g/{group['id']}", soft_wrap=True)
    arrivals = plan(seconds, rng)
    board = Board(group, planned=len(arrivals), seconds=seconds)
    try:
        with Live(board.render(), console=console, refresh_per_second=8) as live:
            for arrival in arrivals:
                for _ in _waits(board.started + arrival.at):
                    live.update(board.render())
                price_before = board.group["current_unit_price"]
                body: dict[str, Any] = {"quantity": arrival.quantity, "delivery_area": arrival.area}
                if arrival.limit is not None:
                    body["max_unit_price"] = arrival.limit
                intent = cast.consumers[arrival.consumer].call(
                    "POST", f"{group_path}/intents", body
                )
                board.joined += 1
                board.group = cast.maker.call("GET", group_path)
                name = CONSUMERS[arrival.consumer]
                line = (
                    f"{name} pledges {arrival.quantity} (limit "
                    f"{money(intent['max_unit_price'])}, {arrival.area})"
                )
                if arrival.limit is not None:
                    line += " [yellow]- a bargain hunter[/]"
                live.console.print(line)
                price = board.group["current_unit_price"]
                pooled = board.group["total_quantity"]
                if price_before is None and price is not None:
                    live.console.print(
                        f"[bold green]Minimum order reached![/] {pooled} units pooled: the group "
                        f"has a price, {money(price)}"
                    )
                elif price != price_before:
                    live.console.print(
                        f"[bold green]Price break![/] {pooled} units pooled: everyone's price is "
                        f"now {money(price)}"
                    )
                live.update(board.render())
        console.print()
    except KeyboardInterrupt:
        cast.maker.call("POST", f"{group_path}/cancel")
        console.print("Interrupted: the simulated group was cancelled.")
        raise
    clearing = cast.maker.call("POST", f"{group_path}/close")
    _show_outcome(console, cast, board.group, clearing, len(arrivals), base)
    return 0 if clearing.get("order_id") else 1


def _show_outcome(
    console: Console,
    cast: Cast,
    group: dict[str, Any],
    clearing: dict[str, Any],
    intents: int,
    base: str,
) -> None:
    console.rule("[bold]The owner closes the group: one clearing, one order")
    outcome = Table.grid(padding=(0, 2))
    outcome.add_column(style="bold")
    outcome.add_column()
    outcome.add_row("status", str(clearing["status"]))
    outcome.add_row("clearing price", money(clearing["unit_price"]))
    outcome.add_row(
        "accepted units", f"{clearing['accepted_quantity']} of {group['total_quantity']}"
    )
    if not clearing.get("order_id"):
        console.print(Panel(outcome, title="clearing", expand=False))
        console.print("No offer could clear, so no order was emitted.")
        return
    order = cast.maker.call("GET", f"/v1/orders/{clearing['order_id']}")
    rejected = intents - int(order["line_count"])
    outcome.add_row("intents", f"{order['line_count']} confirmed, {rejected} rejected")
    console.print(Panel(outcome, title="clearing", expand=False))
    if rejected:
        console.print(
            f"The {rejected} rejected intents had limits ({money(BARGAIN_LIMIT)}) below the "
            "clearing price: nobody ever pays more than their limit (reason price_above_limit)."
        )
    areas = Table(title="the order, per delivery area", title_justify="left")
    areas.add_column("delivery area")
    areas.add_column("lines", justify="right")
    areas.add_column("units", justify="right")
    for area in order["area_totals"]:
        areas.add_row(str(area["delivery_area"]), str(area["lines"]), str(area["quantity"]))
    areas.add_section()
    areas.add_row("total", str(order["line_count"]), str(order["total_quantity"]), style="bold")
    console.print(areas)
    console.print(
        f"The manufacturer receives one order: {order['total_quantity']} units at "
        f"{money(order['unit_price'])} = [bold]{money(order['total_amount'])}[/]."
    )
    console.print("See it in the API (with the admin key):")
    console.print(f"  GET {base}/v1/orders/{order['id']}", soft_wrap=True)
    console.print(f"  GET {base}/v1/groups/{group['id']}/clearing", soft_wrap=True)
