"""Tier schedules (DESIGN §3.1, §3.2): validated price breaks and the price at a volume."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from app.pricing._checks import MAX_AMOUNT, is_int
from app.pricing.errors import InvalidSchedule

MAX_TIERS: Final = 50


@dataclass(frozen=True, slots=True)
class Tier:
    """A price break: from `min_quantity` units on, each unit costs `unit_price` minor units."""

    min_quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class NextBreak:
    """The next tier above a volume and how many more units reach it."""

    min_quantity: int
    unit_price: int
    units_needed: int


@dataclass(frozen=True, slots=True)
class TierSchedule:
    """A valid tier schedule: min_quantity strictly increasing from >= 1, unit_price non-increasing.

    Constructing one validates it (DESIGN §3.1), so an invalid schedule cannot exist. Tier indices
    are 0-based, in the order given.
    """

    tiers: tuple[Tier, ...]
    _min_quantities: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tiers = tuple(self.tiers)
        _validate(tiers)
        object.__setattr__(self, "tiers", tiers)
        object.__setattr__(self, "_min_quantities", tuple(t.min_quantity for t in tiers))

    @classmethod
    def from_tiers(cls, tiers: Sequence[Tier] | Sequence[tuple[int, int]]) -> TierSchedule:
        """Validate tiers given in order, as `Tier`s or `(min_quantity, unit_price)` pairs.

        Raises InvalidSchedule (a ValueError) naming the first offending tier. An unsorted list is
        an error: tiers are never reordered.
        """
        if isinstance(tiers, str | bytes) or not isinstance(tiers, Sequence):
            raise InvalidSchedule(
                f"tiers must be a list of tiers, got {type(tiers).__name__}",
                reason="tiers_not_a_list",
            )
        return cls(tuple(_as_tier(index, tier) for index, tier in enumerate(tiers)))

    @property
    def moq(self) -> int:
        """The minimum order quantity: the first tier's min_quantity."""
        return self.tiers[0].min_quantity

    def tier_index_at(self, volume: int) -> int | None:
        """Index of the last tier whose min_quantity <= volume; None below the MOQ. O(log T)."""
        index = bisect_right(self._min_quantities, volume) - 1
        return index if index >= 0 else None

    def price_at(self, volume: int) -> int | None:
        """The unit price at `volume` (DESIGN §3.2); None below the MOQ. O(log T)."""
        index = bisect_right(self._min_quantities, volume) - 1
        return self.tiers[index].unit_price if index >= 0 else None

    def next_break_at(self, volume: int) -> NextBreak | None:
        """The first tier above `volume` (the first tier itself below the MOQ); None at the last."""
        index = bisect_right(self._min_quantities, volume)
        if index == len(self.tiers):
            return None
        tier = self.tiers[index]
        return NextBreak(tier.min_quantity, tier.unit_price, tier.min_quantity - volume)


def tiers_reached(schedule: TierSchedule, volume: int) -> int | None:
    """Index of the highest tier reached at `volume`; None below the MOQ.

    The service emits `group.tier_reached` the first time this index grows past what it recorded.
    """
    return schedule.tier_index_at(volume)


def tiers_crossed(schedule: TierSchedule, before: int, after: int) -> range:
    """Indices of the tiers newly reached when the volume grows from `before` to `after`.

    Empty when the volume does not grow; one join can cross several tiers at once.
    """
    low = schedule.tier_index_at(before)
    high = schedule.tier_index_at(after)
    start = 0 if low is None else low + 1
    stop = 0 if high is None else high + 1
    return range(start, max(start, stop))


def _as_tier(index: int, tier: object) -> Tier:
    if isinstance(tier, Tier):
        return tier
    if isinstance(tier, tuple | list) and len(tier) == 2:
        return Tier(tier[0], tier[1])
    raise InvalidSchedule(
        f"tier {index}: expected a tier or a (min_quantity, unit_price) pair, got {tier!r}",
        reason="tier_malformed",
        index=index,
    )


def _validate(tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        raise InvalidSchedule("a schedule needs at least one tier", reason="no_tiers")
    if len(tiers) > MAX_TIERS:
        raise InvalidSchedule(
            f"a schedule has at most {MAX_TIERS} tiers, got {len(tiers)}",
            reason="too_many_tiers",
        )
    previous: Tier | None = None
    for index, tier in enumerate(tiers):
        _check_values(index, tier)
        if previous is None:
            if tier.min_quantity < 1:
                raise InvalidSchedule(
                    f"tier {index}: min_quantity {tier.min_quantity} is below 1",
                    reason="first_min_quantity_below_one",
                    index=index,
                    field="min_quantity",
                )
        elif tier.min_quantity <= previous.min_quantity:
            raise InvalidSchedule(
                f"tier {index}: min_quantity {tier.min_quantity} is not greater than the previous "
                f"tier's {previous.min_quantity}",
                reason="min_quantity_not_increasing",
                index=index,
                field="min_quantity",
            )
        if tier.unit_price <= 0:
            raise InvalidSchedule(
                f"tier {index}: unit_price {tier.unit_price} is not positive",
                reason="unit_price_not_positive",
                index=index,
                field="unit_price",
            )
        if previous is not None and tier.unit_price > previous.unit_price:
            raise InvalidSchedule(
                f"tier {index}: unit_price {tier.unit_price} is higher than the previous tier's "
                f"{previous.unit_price}",
                reason="unit_price_increases",
                index=index,
                field="unit_price",
            )
        previous = tier


def _check_values(index: int, tier: object) -> None:
    if not isinstance(tier, Tier):
        raise InvalidSchedule(
            f"tier {index}: expected a Tier, got {tier!r}", reason="tier_malformed", index=index
        )
    for name in ("min_quantity", "unit_price"):
        value = getattr(tier, name)
        if not is_int(value):
            raise InvalidSchedule(
                f"tier {index}: {name} must be an integer, got {value!r}",
                reason="not_an_integer",
                index=index,
                field=name,
            )
        if value > MAX_AMOUNT:
            raise InvalidSchedule(
                f"tier {index}: {name} {value} is larger than {MAX_AMOUNT}",
                reason="value_out_of_range",
                index=index,
                field=name,
            )
