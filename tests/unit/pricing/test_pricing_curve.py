"""The demand curve and the volume each tier would see."""

import pytest

from app.pricing import (
    CurvePoint,
    InvalidIntent,
    TierSchedule,
    TierVolume,
    demand_curve,
    tier_volumes,
)

EXAMPLE = TierSchedule.from_tiers([(10, 1000), (50, 800), (100, 600)])


@pytest.mark.parametrize(
    ("intents", "curve"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([(5, 700)], [(700, 5)], id="one"),
        pytest.param(
            [(5, 600), (60, 1000), (30, 800)],
            [(1000, 60), (800, 90), (600, 95)],
            id="design-example",
        ),
        pytest.param(
            [(2, 500), (3, 900), (4, 500), (1, 900), (7, 100)],
            [(900, 4), (500, 10), (100, 17)],
            id="repeated-limits-merge",
        ),
    ],
)
def test_demand_curve(intents: list[tuple[int, int]], curve: list[tuple[int, int]]) -> None:
    assert demand_curve(intents) == tuple(CurvePoint(p, q) for p, q in curve)


def test_demand_curve_accepts_any_iterable() -> None:
    assert demand_curve(iter([(1, 10), (1, 20)])) == (CurvePoint(20, 1), CurvePoint(10, 2))


@pytest.mark.parametrize(
    ("intents", "rows"),
    [
        pytest.param([], [(10, 1000, 0, False), (50, 800, 0, False), (100, 600, 0, False)], id="0"),
        pytest.param(
            [(60, 1000), (30, 800), (5, 600)],
            [(10, 1000, 60, True), (50, 800, 90, True), (100, 600, 95, False)],
            id="design-example",
        ),
        pytest.param(
            [(60, 1000), (30, 800), (10, 600)],
            [(10, 1000, 60, True), (50, 800, 90, True), (100, 600, 100, True)],
            id="design-example-C-pledges-10",
        ),
        pytest.param(
            [(9, 5000)],
            [(10, 1000, 9, False), (50, 800, 9, False), (100, 600, 9, False)],
            id="below-moq",
        ),
        pytest.param(
            [(49, 1000), (200, 999)],
            [(10, 1000, 49, True), (50, 800, 249, True), (100, 600, 249, True)],
            id="limit-just-below-a-tier",
        ),
    ],
)
def test_tier_volumes(
    intents: list[tuple[int, int]], rows: list[tuple[int, int, int, bool]]
) -> None:
    assert tier_volumes(EXAMPLE, intents) == tuple(TierVolume(*row) for row in rows)


@pytest.mark.parametrize("pair", [(0, 100), (1, 0), (1, -3), (True, 100), (2, 1.5)])
def test_invalid_pairs_are_refused(pair: tuple[int, int]) -> None:
    with pytest.raises(InvalidIntent) as caught:
        demand_curve([(1, 1), pair])
    assert caught.value.index == 1
    with pytest.raises(InvalidIntent):
        tier_volumes(EXAMPLE, [pair])
