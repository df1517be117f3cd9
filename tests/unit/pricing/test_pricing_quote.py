"""The live quote (DESIGN §3.3) and the default limit of a join (§3.4)."""

import pytest

from app.pricing import (
    InvalidOffers,
    NextBreak,
    PricedOffer,
    Quote,
    TierSchedule,
    best_offer,
    default_limit,
    quote,
)

EXAMPLE = TierSchedule.from_tiers([(10, 1000), (50, 800), (100, 600)])


def offer(name: str, tiers: list[tuple[int, int]], sequence: int) -> PricedOffer[str]:
    return PricedOffer(name, TierSchedule.from_tiers(tiers), sequence)


def test_no_offers() -> None:
    assert quote([], 40) == Quote(40, None, None, None, (), None)
    assert default_limit([], 40) is None
    assert best_offer([], 40) is None


@pytest.mark.parametrize(
    ("volume", "price", "next_break", "tier_index"),
    [
        (0, None, NextBreak(10, 1000, 10), None),
        (7, None, NextBreak(10, 1000, 3), None),
        (10, 1000, NextBreak(50, 800, 40), 0),
        (95, 800, NextBreak(100, 600, 5), 1),
        (100, 600, None, 2),
        (1000, 600, None, 2),
    ],
)
def test_quote_of_one_offer(
    volume: int, price: int | None, next_break: NextBreak | None, tier_index: int | None
) -> None:
    result = quote([PricedOffer("a", EXAMPLE, 1)], volume)
    assert result.best_offer_id == "a"
    assert result.volume == volume
    assert result.current_unit_price == price
    assert result.next_break == next_break
    assert result.tier_index == tier_index
    assert result.ladder == EXAMPLE.tiers


def test_best_offer_is_the_lowest_price_at_the_volume() -> None:
    cheap_late = offer("cheap-late", [(10, 1000), (20, 500)], 2)
    flat = offer("flat", [(1, 700)], 1)
    assert quote([flat, cheap_late], 5).best_offer_id == "flat"
    assert quote([flat, cheap_late], 15).best_offer_id == "flat"
    at_20 = quote([flat, cheap_late], 20)
    assert (at_20.best_offer_id, at_20.current_unit_price, at_20.tier_index) == (
        "cheap-late",
        500,
        1,
    )
    assert at_20.ladder == cheap_late.schedule.tiers


def test_tie_goes_to_the_earlier_offer_whatever_the_input_order() -> None:
    early = offer("early", [(10, 900), (30, 700)], 3)
    late = offer("late", [(5, 900), (30, 700), (60, 500)], 8)
    for offers in ([early, late], [late, early]):
        assert quote(offers, 12).best_offer_id == "early"
        assert quote(offers, 40).best_offer_id == "early"
        assert quote(offers, 60).best_offer_id == "late"


def test_below_every_moq_shows_the_lowest_moq_then_cheaper_first_tier_then_earlier() -> None:
    a = offer("a", [(20, 900)], 1)
    b = offer("b", [(10, 950)], 2)
    c = offer("c", [(10, 940), (50, 100)], 3)
    d = offer("d", [(10, 940)], 4)
    result = quote([d, a, b, c], 5)
    assert result.best_offer_id == "c"
    assert result.current_unit_price is None
    assert result.next_break == NextBreak(10, 940, 5)
    assert result.tier_index is None


def test_an_offer_with_a_price_beats_any_offer_below_its_moq() -> None:
    priced = offer("priced", [(1, 5000)], 2)
    unpriced = offer("unpriced", [(10, 10)], 1)
    assert quote([unpriced, priced], 9).best_offer_id == "priced"
    assert quote([unpriced, priced], 10).best_offer_id == "unpriced"


@pytest.mark.parametrize(
    ("volume", "limit"),
    [(0, 1000), (9, 1000), (10, 1000), (50, 800), (99, 800), (100, 600)],
)
def test_default_limit(volume: int, limit: int) -> None:
    assert default_limit([PricedOffer("a", EXAMPLE, 1)], volume) == limit


def test_default_limit_below_moq_takes_the_shown_offer_first_tier() -> None:
    a = offer("a", [(20, 900)], 1)
    b = offer("b", [(10, 950), (30, 100)], 2)
    assert default_limit([a, b], 5) == 950
    assert default_limit([a, b], 10) == 950
    assert default_limit([a, b], 20) == 900
    assert default_limit([a, b], 30) == 100


def test_offers_sharing_a_sequence_are_refused() -> None:
    with pytest.raises(InvalidOffers) as caught:
        quote([offer("a", [(1, 10)], 4), offer("b", [(1, 10)], 4)], 3)
    assert (caught.value.reason, caught.value.index) == ("duplicate_sequence", 1)


def test_priced_offer_checks_its_fields() -> None:
    with pytest.raises(InvalidOffers):
        PricedOffer("a", [(1, 10)], 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidOffers):
        PricedOffer("a", EXAMPLE, True)
