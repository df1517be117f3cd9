"""Properties of the pricing engine (DESIGN §3.6) against a brute-force oracle."""

import random
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.pricing import (
    Clearing,
    ClearingIntent,
    CurvePoint,
    PricedOffer,
    TierSchedule,
    clear,
    clear_limits,
    demand_curve,
    quote,
    tier_volumes,
)

PROPERTY = settings(max_examples=300, deadline=None)

# Small numbers on purpose: MOQs of 1..8 against 0..12 intents of 1..8 units, prices 1..24 against
# limits 1..30, so that clearing and failing are both common.
schedules = st.integers(1, 5).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 8), min_size=n, max_size=n),
        st.integers(4, 24),
        st.lists(st.integers(0, 5), min_size=n - 1, max_size=n - 1),
    )
)
intent_row = st.tuples(st.integers(1, 8), st.integers(1, 30))
# The count is drawn first so that every size from 0 to 12 is equally common.
intent_rows = st.integers(0, 12).flatmap(lambda n: st.lists(intent_row, min_size=n, max_size=n))


@st.composite
def offer_lists(draw: st.DrawFn) -> list[PricedOffer[str]]:
    count = draw(st.integers(1, 3))
    sequences = draw(st.lists(st.integers(0, 50), min_size=count, max_size=count, unique=True))
    offers = []
    for k, sequence in enumerate(sequences):
        steps, first_price, drops = draw(schedules)
        quantities = [sum(steps[: i + 1]) for i in range(len(steps))]
        prices = [first_price]
        for drop in drops:
            prices.append(max(1, prices[-1] - drop))
        tiers = list(zip(quantities, prices, strict=True))
        offers.append(PricedOffer(f"o{k}", TierSchedule.from_tiers(tiers), sequence))
    return offers


def make_intents(rows: list[tuple[int, int]]) -> list[ClearingIntent[str]]:
    return [ClearingIntent(f"i{n}", q, limit, n) for n, (q, limit) in enumerate(rows)]


# --- the oracle: the words of §3.5, with plain loops and no shared code ---------------------


def oracle_price(tiers: tuple[tuple[int, int], ...], volume: int) -> int | None:
    price = None
    for min_quantity, unit_price in tiers:
        if min_quantity <= volume:
            price = unit_price
    return price


def oracle_volume(intents: list[ClearingIntent[str]], price: int) -> int:
    total = 0
    for intent in intents:
        if intent.limit >= price:
            total += intent.quantity
    return total


@dataclass
class Expected:
    winner: str | None
    price: int | None
    accepted: set[str]
    per_offer: dict[str, int | None]


def oracle(offers: list[PricedOffer[str]], intents: list[ClearingIntent[str]]) -> Expected:
    per_offer: dict[str, int | None] = {}
    best: tuple[int, int, int, str] | None = None
    for offer in offers:
        tiers = tuple((t.min_quantity, t.unit_price) for t in offer.schedule.tiers)
        per_offer[offer.id] = None
        for p in sorted({price for _, price in tiers}):
            volume = oracle_volume(intents, p)
            at = oracle_price(tiers, volume)
            if at is not None and at <= p:
                per_offer[offer.id] = p
                candidate = (p, -volume, offer.sequence, offer.id)
                if best is None or candidate < best:
                    best = candidate
                break
    if best is None:
        return Expected(None, None, set(), per_offer)
    accepted = {i.id for i in intents if i.limit >= best[0]}
    return Expected(best[3], best[0], accepted, per_offer)


def summary(result: Clearing[str, str]) -> tuple[object, ...]:
    return (
        result,
        result.accepted_ids(),
        result.rejected_ids(),
        result.released_ids(),
    )


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(offer_lists(), intent_rows)
def test_clear_matches_the_oracle(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]]
) -> None:
    intents = make_intents(rows)
    result = clear(offers, intents)
    expected = oracle(offers, intents)
    assert result.winning_offer_id == expected.winner
    assert result.unit_price == expected.price
    assert result.cleared is (expected.winner is not None)
    assert set(result.accepted_ids()) == expected.accepted
    assert {o.offer_id: o.unit_price for o in result.offers} == expected.per_offer
    assert result.accepted_quantity == sum(i.quantity for i in intents if i.id in expected.accepted)
    assert result.accepted_count == len(expected.accepted)
    # W(p) does not depend on the offer: offers clearing at one price accept the same volume.
    volumes: dict[int, set[int]] = {}
    for row in result.offers:
        if row.unit_price is not None:
            volumes.setdefault(row.unit_price, set()).add(row.accepted_quantity)
    assert all(len(seen) == 1 for seen in volumes.values())


@PROPERTY
@given(offer_lists(), intent_rows)
def test_one_uniform_price_never_above_a_limit(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]]
) -> None:
    intents = make_intents(rows)
    result = clear(offers, intents)
    by_id = {i.id: i for i in intents}
    accepted, rejected = result.accepted_ids(), result.rejected_ids()
    released = result.released_ids()
    # Every intent has exactly one outcome.
    assert sorted(accepted + rejected + released) == sorted(by_id)
    assert all(result.outcome_of(by_id[i]) == "confirmed" for i in accepted)
    assert all(result.outcome_of(by_id[i]) == "rejected" for i in rejected)
    assert all(result.outcome_of(by_id[i]) == "released" for i in released)
    if not result.cleared:
        assert result.unit_price is None
        assert result.accepted_quantity == 0
        assert released == tuple(i.id for i in intents)
        return
    price = result.unit_price
    assert price is not None
    assert all(by_id[i].limit >= price for i in accepted)
    assert all(by_id[i].limit < price for i in rejected)
    assert result.accepted_quantity == sum(by_id[i].quantity for i in accepted)
    # price(V(p*)) == p* for the winning schedule: the volume bought is exactly at that tier.
    winner = next(o for o in offers if o.id == result.winning_offer_id)
    tiers = tuple((t.min_quantity, t.unit_price) for t in winner.schedule.tiers)
    assert oracle_price(tiers, oracle_volume(intents, price)) == price


@PROPERTY
@given(offer_lists(), intent_rows, intent_row)
def test_adding_an_intent_never_raises_the_price(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]], extra: tuple[int, int]
) -> None:
    before = clear(offers, make_intents(rows))
    after = clear(offers, make_intents([*rows, extra]))
    assume(before.cleared)
    assert after.cleared
    assert after.unit_price is not None
    assert before.unit_price is not None
    assert after.unit_price <= before.unit_price
    assert after.accepted_quantity >= before.accepted_quantity
    # Every offer's own p* is monotone too.
    for old, new in zip(before.offers, after.offers, strict=True):
        if old.unit_price is not None:
            assert new.unit_price is not None
            assert new.unit_price <= old.unit_price


@PROPERTY
@given(offer_lists(), intent_rows, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]], rnd: random.Random
) -> None:
    intents = make_intents(rows)
    shuffled_offers, shuffled_intents = offers[:], intents[:]
    rnd.shuffle(shuffled_offers)
    rnd.shuffle(shuffled_intents)
    assert summary(clear(offers, intents)) == summary(clear(shuffled_offers, shuffled_intents))


@PROPERTY
@given(offer_lists(), intent_rows)
def test_columns_agree_with_intents(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]]
) -> None:
    intents = make_intents(rows)
    by_objects = clear(offers, intents)
    by_columns = clear_limits(offers, [q for q, _ in rows], [limit for _, limit in rows])
    assert by_columns.offers == by_objects.offers
    assert by_columns.unit_price == by_objects.unit_price
    assert tuple(f"i{k}" for k in by_columns.accepted_ids()) == by_objects.accepted_ids()
    assert tuple(f"i{k}" for k in by_columns.rejected_ids()) == by_objects.rejected_ids()
    assert tuple(f"i{k}" for k in by_columns.released_ids()) == by_objects.released_ids()


@PROPERTY
@given(offer_lists())
def test_live_price_never_rises_with_volume(offers: list[PricedOffer[str]]) -> None:
    previous: int | None = None
    for volume in range(0, 100):
        shown = quote(offers, volume)
        prices = [p for o in offers if (p := o.schedule.price_at(volume)) is not None]
        assert shown.current_unit_price == (min(prices) if prices else None)
        if previous is not None:
            assert shown.current_unit_price is not None
            assert shown.current_unit_price <= previous
        previous = shown.current_unit_price
        if shown.next_break is not None:
            assert shown.next_break.units_needed == shown.next_break.min_quantity - volume > 0


@PROPERTY
@given(offer_lists(), st.integers(0, 100))
def test_quote_picks_the_cheapest_then_earliest_offer(
    offers: list[PricedOffer[str]], volume: int
) -> None:
    shown = quote(offers, volume)
    priced = [
        (p, o.sequence, o.id) for o in offers if (p := o.schedule.price_at(volume)) is not None
    ]
    if priced:
        assert shown.best_offer_id == min(priced)[2]
        ladder = next(o for o in offers if o.id == shown.best_offer_id).schedule.tiers
        assert shown.ladder == ladder
        assert shown.tier_index is not None
        assert ladder[shown.tier_index].unit_price == shown.current_unit_price


@PROPERTY
@given(offer_lists(), intent_rows)
def test_curve_and_tier_volumes_match_the_oracle(
    offers: list[PricedOffer[str]], rows: list[tuple[int, int]]
) -> None:
    intents = make_intents(rows)
    limits = sorted({limit for _, limit in rows}, reverse=True)
    assert demand_curve(rows) == tuple(CurvePoint(p, oracle_volume(intents, p)) for p in limits)
    for offer in offers:
        tiers = tuple((t.min_quantity, t.unit_price) for t in offer.schedule.tiers)
        for row in tier_volumes(offer.schedule, rows):
            volume = oracle_volume(intents, row.unit_price)
            at = oracle_price(tiers, volume)
            assert row.volume == volume
            assert row.clears is (at is not None and at <= row.unit_price)
