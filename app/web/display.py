"""What the group page draws from a group's public JSON: the ladder's steps, the progress to the
next price break and its sentence. ``static/group.js`` redraws the same from each stream event;
the two must agree (the browser test reads what the script draws)."""

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
    price: str
    progress: int  # percent of the way from the tier reached to the next break
    sentence: str
    steps: list[Step]


def current_index(tiers: list[dict[str, int]], total: int) -> int | None:
    reached = [i for i, tier in enumerate(tiers) if tier["min_quantity"] <= total]
    return reached[-1] if reached else None


def height(price: int, low: int, high: int) -> int:
    """A step's height in the picture: the cheapest tier 30 %, the dearest 100 %."""
    return 100 if high == low else 30 + (70 * (price - low)) // (high - low)


def display(group: dict[str, Any]) -> Display:
    tiers: list[dict[str, int]] = group["tiers"]
    currency, total = group["currency"], group["total_quantity"]
    index = current_index(tiers, total)
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
    shown = money(price, currency) if price is not None else "No price yet"
    return Display(shown, _progress(group, tiers, index), _sentence(group), steps)


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
    if group["status"] != "open":
        label = STATUS_LABELS.get(group["status"], group["status"]).lower()
        return f"This group is {label}: it takes no more pledges."
    if not group["tiers"]:
        return "No offer yet: manufacturers are invited to bid."
    if following is None:
        return f"Best price reached: everyone pays {money(group['current_unit_price'], currency)}."
    units = following["units_needed"]
    noun = "unit" if units == 1 else "units"
    return f"{units} more {noun} and everyone pays {money(following['unit_price'], currency)}."
