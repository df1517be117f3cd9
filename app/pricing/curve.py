"""Aggregated demand: the demand curve shown to manufacturers and the volume each tier would see."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from app.pricing._checks import check_intent_pairs
from app.pricing.schedule import TierSchedule


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """`quantity` units are pledged by intents whose limit is at least `unit_price`."""

    unit_price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class TierVolume:
    """A tier, the volume V(unit_price) of intents willing to pay its price, and whether the offer
    could clear at that price: price(V) <= unit_price (DESIGN §3.5)."""

    min_quantity: int
    unit_price: int
    volume: int
    clears: bool


def demand_curve(intents: Iterable[tuple[int, int]]) -> tuple[CurvePoint, ...]:
    """The demand curve of `(quantity, limit)` pairs: one point per distinct limit.

    Points are ordered by price descending, so quantities are cumulative and non-decreasing: each
    point counts every unit whose limit is at least its price. Empty when there are no intents.
    Pairs may be single intents or already aggregated per limit. O(N + D log D) for D limits.
    """
    levels = _levels(intents)
    prices = sorted(levels, reverse=True)
    return tuple(map(CurvePoint, prices, accumulate(map(levels.__getitem__, prices))))


def tier_volumes(
    schedule: TierSchedule, intents: Iterable[tuple[int, int]]
) -> tuple[TierVolume, ...]:
    """For each tier of `schedule`, V(unit_price) over `(quantity, limit)` pairs and whether the
    offer could clear at that price (price(V) <= unit_price)."""
    levels = _levels(intents)
    limits = sorted(levels)
    # above[i]: units whose limit >= limits[i]; above[len(limits)] = 0.
    above = [*reversed(list(accumulate(map(levels.__getitem__, reversed(limits))))), 0]
    rows = []
    for tier in schedule.tiers:
        volume = above[bisect_left(limits, tier.unit_price)]
        price = schedule.price_at(volume)
        clears = price is not None and price <= tier.unit_price
        rows.append(TierVolume(tier.min_quantity, tier.unit_price, volume, clears))
    return tuple(rows)


def _levels(intents: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Total quantity per distinct limit."""
    levels: dict[int, int] = {}
    get = levels.get
    for quantity, limit in check_intent_pairs(intents):
        levels[limit] = get(limit, 0) + quantity
    return levels
