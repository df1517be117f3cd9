"""Tier schedules: validation rules of DESIGN §3.1 and the price at a volume (§3.2)."""

from typing import Any

import pytest

from app.pricing import (
    MAX_TIERS,
    InvalidSchedule,
    NextBreak,
    Tier,
    TierSchedule,
    tiers_crossed,
    tiers_reached,
)

EXAMPLE = TierSchedule.from_tiers([(10, 1000), (50, 800), (100, 600)])


@pytest.mark.parametrize(
    ("tiers", "reason", "index", "field"),
    [
        pytest.param([], "no_tiers", None, None, id="no-tiers"),
        pytest.param(
            [(i + 1, 100) for i in range(MAX_TIERS + 1)],
            "too_many_tiers",
            None,
            None,
            id="51-tiers",
        ),
        pytest.param([(0, 100)], "first_min_quantity_below_one", 0, "min_quantity", id="moq-0"),
        pytest.param([(-5, 100)], "first_min_quantity_below_one", 0, "min_quantity", id="moq-neg"),
        pytest.param(
            [(10, 1000), (50, 800), (40, 600)],
            "min_quantity_not_increasing",
            2,
            "min_quantity",
            id="unsorted",
        ),
        pytest.param(
            [(10, 1000), (10, 800)], "min_quantity_not_increasing", 1, "min_quantity", id="equal"
        ),
        pytest.param(
            [(100, 600), (50, 800), (10, 1000)],
            "min_quantity_not_increasing",
            1,
            "min_quantity",
            id="reversed",
        ),
        pytest.param([(10, 0)], "unit_price_not_positive", 0, "unit_price", id="price-0"),
        pytest.param(
            [(10, 100), (20, -1)], "unit_price_not_positive", 1, "unit_price", id="price-neg"
        ),
        pytest.param(
            [(10, 800), (50, 800), (100, 801)],
            "unit_price_increases",
            2,
            "unit_price",
            id="price-up",
        ),
        pytest.param([(10.0, 100)], "not_an_integer", 0, "min_quantity", id="float-quantity"),
        pytest.param([(10, 99.5)], "not_an_integer", 0, "unit_price", id="float-price"),
        pytest.param([(True, 100)], "not_an_integer", 0, "min_quantity", id="bool-quantity"),
        pytest.param([(10, 100), (20, "90")], "not_an_integer", 1, "unit_price", id="str-price"),
        pytest.param([(10, 100), (20,)], "tier_malformed", 1, None, id="short-pair"),
        pytest.param([{"min_quantity": 1}], "tier_malformed", 0, None, id="dict"),
        pytest.param([(1, 2**63)], "value_out_of_range", 0, "unit_price", id="huge-price"),
    ],
)
def test_invalid_schedule(tiers: Any, reason: str, index: int | None, field: str | None) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        TierSchedule.from_tiers(tiers)
    assert caught.value.reason == reason
    assert caught.value.index == index
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    if index is not None:
        assert str(caught.value).startswith(f"tier {index}: ")


def test_message_names_the_tier_and_both_quantities() -> None:
    with pytest.raises(InvalidSchedule, match=r"^tier 2: min_quantity 40 is not greater than the "):
        TierSchedule.from_tiers([(10, 1000), (50, 800), (40, 600)])


def test_not_a_list_is_refused() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        TierSchedule.from_tiers("10:1000")  # type: ignore[arg-type]
    assert caught.value.reason == "tiers_not_a_list"


def test_direct_construction_validates_too() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        TierSchedule((Tier(10, 500), Tier(5, 400)))
    assert (caught.value.reason, caught.value.index) == ("min_quantity_not_increasing", 1)


@pytest.mark.parametrize(
    "tiers",
    [
        pytest.param([(1, 1)], id="smallest"),
        pytest.param([(10, 800), (50, 800)], id="equal-prices"),
        pytest.param([(i + 1, 1000 - i) for i in range(MAX_TIERS)], id="50-tiers"),
        pytest.param([Tier(10, 1000), Tier(50, 800)], id="tier-objects"),
        pytest.param(((10, 1000), [50, 800]), id="tuple-and-list-pairs"),
    ],
)
def test_valid_schedule_keeps_the_given_order(tiers: Any) -> None:
    schedule = TierSchedule.from_tiers(tiers)
    assert schedule.tiers == tuple(Tier(*t) if not isinstance(t, Tier) else t for t in tiers)
    assert schedule.moq == schedule.tiers[0].min_quantity


def test_schedules_compare_by_tiers() -> None:
    assert TierSchedule.from_tiers([(10, 1000)]) == TierSchedule.from_tiers([Tier(10, 1000)])
    assert TierSchedule.from_tiers([(10, 1000)]) != TierSchedule.from_tiers([(10, 999)])


@pytest.mark.parametrize(
    ("volume", "price", "index"),
    [
        (-1, None, None),
        (0, None, None),
        (9, None, None),
        (10, 1000, 0),
        (49, 1000, 0),
        (50, 800, 1),
        (99, 800, 1),
        (100, 600, 2),
        (101, 600, 2),
        (10**12, 600, 2),
    ],
)
def test_price_at_boundaries(volume: int, price: int | None, index: int | None) -> None:
    assert EXAMPLE.price_at(volume) == price
    assert EXAMPLE.tier_index_at(volume) == index
    assert tiers_reached(EXAMPLE, volume) == index


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (0, NextBreak(10, 1000, 10)),
        (9, NextBreak(10, 1000, 1)),
        (10, NextBreak(50, 800, 40)),
        (95, NextBreak(100, 600, 5)),
        (100, None),
        (500, None),
    ],
)
def test_next_break_at(volume: int, expected: NextBreak | None) -> None:
    assert EXAMPLE.next_break_at(volume) == expected


@pytest.mark.parametrize(
    ("before", "after", "crossed"),
    [
        (0, 9, []),
        (0, 10, [0]),
        (9, 100, [0, 1, 2]),
        (10, 49, []),
        (49, 50, [1]),
        (60, 150, [2]),
        (150, 200, []),
        (60, 20, []),
    ],
)
def test_tiers_crossed(before: int, after: int, crossed: list[int]) -> None:
    assert list(tiers_crossed(EXAMPLE, before, after)) == crossed
