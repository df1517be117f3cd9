"""Clearing at close (DESIGN §3.5, §3.6): one uniform price, the winner, the accepted intents.

For an offer, W(p) is the set of intents whose limit >= p and V(p) their total quantity. Its
clearing price p* is the lowest tier price p with price(V(p)) <= p (then price(V(p*)) == p*); it
cannot clear when no tier price qualifies. The winner has the lowest p*, then the larger accepted
volume, then the earlier offer. An intent is accepted iff its limit >= the winning p*, so the
database can settle every intent set-based (`max_unit_price >= :p`).

V is only ever needed at tier prices, so each intent is placed, by one binary search, in the band
between two consecutive candidate prices of all offers; suffix sums over the bands give V(p) for
every candidate. That is O(N log C + K T) for N intents, K offers of T tiers and C <= K T distinct
prices, without sorting the intents nor building an object per intent.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from operator import attrgetter
from typing import Final, Generic, Literal, TypeAlias, TypeVar

from app.pricing._checks import check_columns, check_intent, check_offer_sequences
from app.pricing.quote import OfferIdT, PricedOffer

IntentIdT = TypeVar("IntentIdT", bound=Hashable)

Outcome: TypeAlias = Literal["confirmed", "rejected", "released"]
PRICE_ABOVE_LIMIT: Final = "price_above_limit"

ClearingOffer: TypeAlias = PricedOffer

_IdsWhere: TypeAlias = Callable[[Callable[[int], bool]], tuple[IntentIdT, ...]]


@dataclass(frozen=True, slots=True)
class ClearingIntent(Generic[IntentIdT]):
    """An active intent at close: `quantity` units at most `limit` per unit, created `sequence`th.

    Raises InvalidIntent unless quantity and limit are positive integers.
    """

    id: IntentIdT
    quantity: int
    limit: int
    sequence: int

    def __post_init__(self) -> None:
        check_intent(self.quantity, self.limit)


@dataclass(frozen=True, slots=True)
class OfferClearing(Generic[OfferIdT]):
    """How one offer would clear: its p* (None if it cannot) and the intents it would accept."""

    offer_id: OfferIdT
    sequence: int
    unit_price: int | None
    accepted_quantity: int
    accepted_count: int

    @property
    def cleared(self) -> bool:
        """True when this offer has a clearing price."""
        return self.unit_price is not None


@dataclass(frozen=True, slots=True)
class Clearing(Generic[OfferIdT, IntentIdT]):
    """The outcome of a close.

    When `cleared`, `winning_offer_id` is emitted one order at `unit_price`; intents whose limit >=
    `unit_price` are confirmed and the others rejected with reason PRICE_ABOVE_LIMIT. Otherwise the
    group fails and every intent is released. `offers` gives each offer's own result, by sequence.
    The id lists are computed on demand, ordered by intent sequence (by position for
    `clear_limits`).
    """

    cleared: bool
    winning_offer_id: OfferIdT | None
    unit_price: int | None
    accepted_quantity: int
    accepted_count: int
    intent_count: int
    offers: tuple[OfferClearing[OfferIdT], ...]
    _ids_where: _IdsWhere[IntentIdT] = field(repr=False, compare=False)

    def accepts(self, limit: int) -> bool:
        """True iff an intent with this limit is confirmed: the group cleared and limit >= price."""
        return self.unit_price is not None and limit >= self.unit_price

    def outcome_of(self, intent: ClearingIntent[IntentIdT]) -> Outcome:
        """`confirmed`, `rejected` (PRICE_ABOVE_LIMIT) or, when nothing cleared, `released`."""
        if not self.cleared:
            return "released"
        return "confirmed" if self.accepts(intent.limit) else "rejected"

    def accepted_ids(self) -> tuple[IntentIdT, ...]:
        """Ids of the confirmed intents (limit >= unit_price); empty when nothing cleared."""
        return self._ids_where(self.accepts) if self.cleared else ()

    def rejected_ids(self) -> tuple[IntentIdT, ...]:
        """Ids of the intents rejected with PRICE_ABOVE_LIMIT (limit < unit_price)."""
        return self._ids_where(lambda limit: not self.accepts(limit)) if self.cleared else ()

    def released_ids(self) -> tuple[IntentIdT, ...]:
        """Ids of every intent when nothing cleared; empty otherwise."""
        return () if self.cleared else self._ids_where(lambda _limit: True)


def clear(
    offers: Sequence[PricedOffer[OfferIdT]], intents: Iterable[ClearingIntent[IntentIdT]]
) -> Clearing[OfferIdT, IntentIdT]:
    """Clear a group: fix one uniform price, the winning offer and the accepted intents (§3.5).

    An intent is accepted iff its limit >= the clearing price, which is also how the database
    persists the result. The result does not depend on the order of `offers` or `intents`.
    Raises InvalidOffers when two offers share a sequence.
    """
    check_offer_sequences(offers)
    frozen = tuple(intents)
    prices = _candidate_prices(offers)
    volumes = [0] * (len(prices) + 1)
    counts = [0] * (len(prices) + 1)
    if prices:
        for intent in frozen:
            band = bisect_right(prices, intent.limit)
            volumes[band] += intent.quantity
            counts[band] += 1
    return _settle(offers, prices, volumes, counts, len(frozen), partial(_intent_ids, frozen))


def clear_limits(
    offers: Sequence[PricedOffer[OfferIdT]], quantities: Sequence[int], limits: Sequence[int]
) -> Clearing[OfferIdT, int]:
    """`clear` over parallel columns: intent i pledges quantities[i] units at most limits[i].

    Intent ids in the result are positions in the columns. Raises InvalidIntent when the columns
    differ in length or hold anything but positive integers.
    """
    check_offer_sequences(offers)
    check_columns(quantities, limits)
    prices = _candidate_prices(offers)
    volumes = [0] * (len(prices) + 1)
    counts = [0] * (len(prices) + 1)
    if prices:
        for quantity, limit in zip(quantities, limits, strict=True):
            band = bisect_right(prices, limit)
            volumes[band] += quantity
            counts[band] += 1
    frozen = tuple(limits)  # the ids are computed later: a caller's list may change meanwhile
    return _settle(offers, prices, volumes, counts, len(frozen), partial(_position_ids, frozen))


def _candidate_prices(offers: Sequence[PricedOffer[OfferIdT]]) -> list[int]:
    """Every distinct tier price of every offer, ascending."""
    return sorted({tier.unit_price for offer in offers for tier in offer.schedule.tiers})


def _settle(
    offers: Sequence[PricedOffer[OfferIdT]],
    prices: list[int],
    band_volumes: list[int],
    band_counts: list[int],
    intent_count: int,
    ids_where: _IdsWhere[IntentIdT],
) -> Clearing[OfferIdT, IntentIdT]:
    # band b holds the intents with prices[b-1] <= limit < prices[b], so W(prices[j]) is the union
    # of the bands above j: a suffix sum.
    volume_above = _suffix_sums(band_volumes)
    count_above = _suffix_sums(band_counts)
    position = {price: j for j, price in enumerate(prices)}
    results = []
    for offer in sorted(offers, key=attrgetter("sequence")):
        schedule = offer.schedule
        result = OfferClearing(offer.id, offer.sequence, None, 0, 0)
        for tier in reversed(schedule.tiers):  # ascending prices
            above = position[tier.unit_price] + 1
            at_volume = schedule.price_at(volume_above[above])
            if at_volume is not None and at_volume <= tier.unit_price:
                volume, count = volume_above[above], count_above[above]
                result = OfferClearing(offer.id, offer.sequence, tier.unit_price, volume, count)
                break
        results.append(result)
    # W(p) does not depend on the offer, so equal p* implies equal volume: the volume tie-break of
    # §3.5 never decides, and the earlier offer does. It is kept to state the rule as written.
    winner = min(
        (r for r in results if r.unit_price is not None),
        key=lambda r: (r.unit_price, -r.accepted_quantity, r.sequence),
        default=None,
    )
    if winner is None:
        return Clearing(False, None, None, 0, 0, intent_count, tuple(results), ids_where)
    return Clearing(
        True,
        winner.offer_id,
        winner.unit_price,
        winner.accepted_quantity,
        winner.accepted_count,
        intent_count,
        tuple(results),
        ids_where,
    )


def _suffix_sums(values: list[int]) -> list[int]:
    """sums[j] = sum(values[j:]), with a trailing 0."""
    return [*reversed(list(accumulate(reversed(values)))), 0]


def _intent_ids(
    intents: tuple[ClearingIntent[IntentIdT], ...], keep: Callable[[int], bool]
) -> tuple[IntentIdT, ...]:
    kept = sorted((i for i in intents if keep(i.limit)), key=attrgetter("sequence"))
    return tuple(i.id for i in kept)


def _position_ids(limits: tuple[int, ...], keep: Callable[[int], bool]) -> tuple[int, ...]:
    return tuple(i for i, limit in enumerate(limits) if keep(limit))
