"""Clearing at close (DESIGN §3.5): table-driven cases."""

from dataclasses import dataclass, field

import pytest

from app.pricing import (
    PRICE_ABOVE_LIMIT,
    ClearingIntent,
    InvalidIntent,
    InvalidOffers,
    PricedOffer,
    TierSchedule,
    clear,
    clear_limits,
)

EXAMPLE_TIERS = [(10, 1000), (50, 800), (100, 600)]


@dataclass(frozen=True)
class Case:
    offers: list[tuple[str, list[tuple[int, int]], int]]  # (id, tiers, sequence)
    intents: list[tuple[str, int, int]]  # (id, quantity, limit)
    winner: str | None
    price: int | None
    confirmed: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    offer_prices: dict[str, int | None] = field(default_factory=dict)


CASES = [
    pytest.param(
        Case(
            [("m", EXAMPLE_TIERS, 1)],
            [("A", 60, 1000), ("B", 30, 800), ("C", 5, 600)],
            "m",
            800,
            {"A", "B"},
            {"C"},
        ),
        id="design-example",
    ),
    pytest.param(
        Case(
            [("m", EXAMPLE_TIERS, 1)],
            [("A", 60, 1000), ("B", 30, 800), ("C", 10, 600)],
            "m",
            600,
            {"A", "B", "C"},
        ),
        id="design-example-C-pledges-10",
    ),
    pytest.param(
        Case(
            [("late", [(10, 900), (40, 700)], 2), ("early", [(5, 950), (50, 700)], 1)],
            [("A", 30, 900), ("B", 25, 700)],
            "early",
            700,
            {"A", "B"},
            offer_prices={"early": 700, "late": 700},
        ),
        id="same-price-same-volume-earlier-offer-wins",
    ),
    pytest.param(
        Case(
            [("second", [(10, 1000), (95, 750)], 2), ("first", EXAMPLE_TIERS, 1)],
            [("A", 60, 1000), ("B", 30, 800), ("C", 5, 600)],
            "first",
            800,
            {"A", "B"},
            {"C"},
            offer_prices={"first": 800, "second": 1000},
        ),
        id="lower-price-wins-whatever-the-listing-order",
    ),
    pytest.param(
        Case(
            [("dear", [(1, 900)], 1), ("cheap", [(10, 1000), (20, 500)], 2)],
            [("A", 12, 900), ("B", 8, 500), ("C", 1, 400)],
            "cheap",
            500,
            {"A", "B"},
            {"C"},
            offer_prices={"dear": 900, "cheap": 500},
        ),
        id="later-offer-with-lower-price-wins",
    ),
    pytest.param(
        Case(
            [("big", [(100, 100)], 1), ("small", [(5, 700)], 2)],
            [("A", 10, 900), ("B", 3, 700)],
            "small",
            700,
            {"A", "B"},
            offer_prices={"big": None, "small": 700},
        ),
        id="offer-that-cannot-clear-loses",
    ),
    pytest.param(Case([], [("A", 60, 1000), ("B", 1, 5)], None, None), id="request-with-no-offers"),
    pytest.param(Case([("m", EXAMPLE_TIERS, 1)], [], None, None), id="no-intents"),
    pytest.param(
        Case(
            [("m", [(5, 500)], 1)],
            [("A", 3, 600), ("B", 2, 500), ("C", 4, 499)],
            "m",
            500,
            {"A", "B"},
            {"C"},
        ),
        id="single-tier",
    ),
    pytest.param(
        Case([("m", [(100, 500)], 1)], [("A", 60, 900), ("B", 39, 900)], None, None),
        id="moq-not-reached",
    ),
    pytest.param(
        Case(
            [("m", EXAMPLE_TIERS, 1), ("n", [(1, 650)], 2)],
            [("A", 60, 599), ("B", 500, 1)],
            None,
            None,
        ),
        id="every-limit-below-every-price",
    ),
    pytest.param(
        Case(
            [("m", EXAMPLE_TIERS, 1)],
            [("A", 40, 1000), ("B", 5, 800), ("C", 50, 700)],
            "m",
            1000,
            {"A"},
            {"B", "C"},
        ),
        id="only-the-first-tier-clears",
    ),
]


def run(case: Case) -> None:
    offers = [PricedOffer(o, TierSchedule.from_tiers(t), s) for o, t, s in case.offers]
    intents = [ClearingIntent(i, q, lim, n) for n, (i, q, lim) in enumerate(case.intents)]
    result = clear(offers, intents)
    assert result.winning_offer_id == case.winner
    assert result.unit_price == case.price
    assert result.cleared is (case.winner is not None)
    assert set(result.accepted_ids()) == case.confirmed
    assert set(result.rejected_ids()) == case.rejected
    everyone = {i for i, _, _ in case.intents}
    assert set(result.released_ids()) == (set() if result.cleared else everyone)
    accepted = [(q, lim) for i, q, lim in case.intents if i in case.confirmed]
    assert result.accepted_quantity == sum(q for q, _ in accepted)
    assert result.accepted_count == len(accepted)
    assert result.intent_count == len(case.intents)
    for intent in intents:
        expected = (
            "released"
            if not result.cleared
            else "confirmed"
            if intent.id in case.confirmed
            else "rejected"
        )
        assert result.outcome_of(intent) == expected
    if case.offer_prices:
        assert {o.offer_id: o.unit_price for o in result.offers} == case.offer_prices
    assert [o.sequence for o in result.offers] == sorted(s for _, _, s in case.offers)
    # The column entry point agrees, ids being positions.
    columns = clear_limits(offers, [q for _, q, _ in case.intents], [x for *_, x in case.intents])
    assert (columns.winning_offer_id, columns.unit_price) == (case.winner, case.price)
    names = [i for i, _, _ in case.intents]
    assert {names[k] for k in columns.accepted_ids()} == case.confirmed
    assert {names[k] for k in columns.rejected_ids()} == case.rejected


@pytest.mark.parametrize("case", CASES)
def test_clearing(case: Case) -> None:
    run(case)


def test_rejection_reason_code() -> None:
    assert PRICE_ABOVE_LIMIT == "price_above_limit"


def test_accepted_ids_follow_intent_sequence() -> None:
    offers = [PricedOffer("m", TierSchedule.from_tiers([(1, 100)]), 1)]
    intents = [
        ClearingIntent("c", 1, 100, 30),
        ClearingIntent("a", 1, 150, 10),
        ClearingIntent("x", 1, 99, 5),
        ClearingIntent("b", 1, 100, 20),
    ]
    result = clear(offers, intents)
    assert result.accepted_ids() == ("a", "b", "c")
    assert result.rejected_ids() == ("x",)


def test_accepts_is_the_set_based_rule() -> None:
    offers = [PricedOffer("m", TierSchedule.from_tiers(EXAMPLE_TIERS), 1)]
    result = clear(offers, [ClearingIntent("A", 60, 1000, 1), ClearingIntent("B", 30, 800, 2)])
    assert result.unit_price == 800
    assert [result.accepts(limit) for limit in (799, 800, 801)] == [False, True, True]


def test_result_does_not_keep_a_reference_to_the_callers_columns() -> None:
    offers = [PricedOffer("m", TierSchedule.from_tiers([(1, 100)]), 1)]
    limits = [100, 50]
    result = clear_limits(offers, [1, 1], limits)
    limits[1] = 500
    assert result.accepted_ids() == (0,)


@pytest.mark.parametrize(
    ("quantity", "limit", "reason"),
    [
        (0, 100, "quantity_not_positive"),
        (-1, 100, "quantity_not_positive"),
        (True, 100, "quantity_not_positive"),
        (1.5, 100, "quantity_not_positive"),
        (1, 0, "limit_not_positive"),
        (1, 2**63, "limit_not_positive"),
        (1, 99.0, "limit_not_positive"),
    ],
)
def test_invalid_intents(quantity: object, limit: object, reason: str) -> None:
    with pytest.raises(InvalidIntent) as caught:
        ClearingIntent("x", quantity, limit, 1)  # type: ignore[arg-type]
    assert caught.value.reason == reason
    offers = [PricedOffer("m", TierSchedule.from_tiers([(1, 100)]), 1)]
    with pytest.raises(InvalidIntent) as caught:
        clear_limits(offers, [1, quantity], [100, limit])  # type: ignore[list-item]
    assert (caught.value.reason, caught.value.index) == (reason, 1)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidIntent) as caught:
        clear_limits([], [1, 2], [100])
    assert caught.value.reason == "length_mismatch"


def test_offers_sharing_a_sequence_are_refused() -> None:
    schedule = TierSchedule.from_tiers([(1, 100)])
    with pytest.raises(InvalidOffers):
        clear([PricedOffer("a", schedule, 1), PricedOffer("b", schedule, 1)], [])
