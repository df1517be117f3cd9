"""What the group page draws from a group's public JSON: the ladder's steps, the progress to the
next price break and its sentence, or, once the group is closed, its outcome. ``static/group.js``
redraws the same from each stream event; the two must agree (the browser test reads what the
script draws)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.web.formatting import money

STATUS_LABELS = {
    "open": "Open",
    "confirmed": "Confirmed",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True, slots=True)
class Step:
    min_quantity: int
    unit_price: int
    state: str  # "reached", "current" or "ahead"
    height: int  # percent, for the picture (see ``height``)


@dataclass(frozen=True, slots=True)
class Display:
    heading: str  # "Price now" while open, "Final price" after
    price: str
    progress: int | None  # percent of the way from the tier reached to the next break; None: closed
    sentence: str
    steps: list[Step]


def current_index(tiers: list[dict[str, int]], total: int) -> int | None:
    reached = [i for i, tier in enumerate(tiers) if tier["min_quantity"] <= total]
    return reached[-1] if reached else None


def highlighted_index(group: dict[str, Any]) -> int | None:
    """The step to highlight: while open, the tier the pledged total reached; once confirmed, the
    step of the clearing price (``current_unit_price``, on the winning offer's ladder), which need
    not be the one at the pledged total; none for a failed or cancelled group."""
    tiers: list[dict[str, int]] = group["tiers"]
    total, price = group["total_quantity"], group["current_unit_price"]
    if group["status"] == "open":
        return current_index(tiers, total)
    if group["status"] != "confirmed" or price is None:
        return None
    at_price = [i for i, tier in enumerate(tiers) if tier["unit_price"] == price]
    # Tiers may share a price: the last one the pledges reached, else the first of them.
    reached = [i for i in at_price if tiers[i]["min_quantity"] <= total]
    return reached[-1] if reached else at_price[0] if at_price else None


def height(price: int, low: int, high: int) -> int:
    """A step's height in the picture: the cheapest tier 30 %, the dearest 100 %."""
    return 100 if high == low else 30 + (70 * (price - low)) // (high - low)


def display(group: dict[str, Any]) -> Display:
    tiers: list[dict[str, int]] = group["tiers"]
    currency, is_open = group["currency"], group["status"] == "open"
    index = highlighted_index(group)
    prices = [tier["unit_price"] for tier in tiers]
    low, high = min(prices, default=0), max(prices, default=0)
    steps = [
        Step(
            tier["min_quantity"],
            tier["unit_price"],
            "ahead" if index is None or i > index else "current" if i == index else "reached",
            height(tier["unit_price"], low, high),
        )
        for i, tier in enumerate(tiers)
    ]
    price = group["current_unit_price"]
    shown = money(price, currency) if price is not None else "No price yet" if is_open else "—"
    progress = _progress(group, tiers, index) if is_open else None
    heading = "Price now" if is_open else "Final price"
    return Display(heading, shown, progress, _sentence(group), steps)


def _progress(group: dict[str, Any], tiers: list[dict[str, int]], index: int | None) -> int:
    following = group["next_break"]
    if not tiers:
        return 0
    if following is None:
        return 100
    base = 0 if index is None else tiers[index]["min_quantity"]
    span: int = following["min_quantity"] - base
    done: int = group["total_quantity"] - base
    return max(0, min(100, 100 * done // span))


def _sentence(group: dict[str, Any]) -> str:
    currency, following = group["currency"], group["next_break"]
    status, price = group["status"], group["current_unit_price"]
    if status == "confirmed":
        return f"Closed: everyone pays {money(price, currency)}."
    if status == "failed":
        return "This group failed."
    if status == "cancelled":
        return "Cancelled."
    if not group["tiers"]:
        return "No offer yet: manufacturers are invited to bid."
    if following is None:
        return f"Best price reached: everyone pays {money(price, currency)}."
    units = following["units_needed"]
    noun = "unit" if units == 1 else "units"
    return f"{units} more {noun} and everyone pays {money(following['unit_price'], currency)}."
