"""The live quote of a group while it is open (DESIGN §3.3) and default limits (§3.4).

Once a group is closed its view no longer follows the quote: it shows the clearing's outcome
(``app.groups.views.group_view``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.pricing._checks import check_offer_sequences, is_int
from app.pricing.errors import InvalidOffers
from app.pricing.schedule import NextBreak, Tier, TierSchedule

OfferIdT = TypeVar("OfferIdT", bound=Hashable)


@dataclass(frozen=True, slots=True)
class PricedOffer(Generic[OfferIdT]):
    """An offer as the engine sees it: its id, its schedule and its creation `sequence`.

    `sequence` orders offers by creation (smaller = earlier) and breaks every tie between offers;
    sequences must be unique among the offers of a group.
    """

    id: OfferIdT
    schedule: TierSchedule
    sequence: int

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, TierSchedule):
            raise InvalidOffers(
                f"schedule must be a TierSchedule, got {type(self.schedule).__name__}",
                reason="schedule_invalid",
                field="schedule",
            )
        if not is_int(self.sequence):
            raise InvalidOffers(
                f"sequence must be an integer, got {self.sequence!r}",
                reason="sequence_not_an_integer",
                field="sequence",
            )


@dataclass(frozen=True, slots=True)
class Quote(Generic[OfferIdT]):
    """What a group shows at `volume`: its best offer's price, next break and ladder.

    All pricing fields are None (and `ladder` empty) when there is no offer.
    """

    volume: int
    best_offer_id: OfferIdT | None
    current_unit_price: int | None
    next_break: NextBreak | None
    ladder: tuple[Tier, ...]
    tier_index: int | None


def best_offer(
    offers: Sequence[PricedOffer[OfferIdT]], volume: int
) -> PricedOffer[OfferIdT] | None:
    """The offer a group shows at `volume`; None when there are no offers.

    The best offer is, among the offers with a price at `volume`, the one with the lowest price,
    a tie going to the earlier offer (smaller sequence); an offer below its MOQ never beats one
    with a price. When no offer has a price at `volume` (all are below their MOQ), it is the offer
    with the lowest MOQ (the one closest to having a price), then the lower first-tier price (its
    price at its MOQ), then the earlier offer. Raises InvalidOffers when two offers share a
    sequence.
    """
    check_offer_sequences(offers)
    priced = [
        (price, o.sequence, o) for o in offers if (price := o.schedule.price_at(volume)) is not None
    ]
    if priced:
        return min(priced, key=lambda row: (row[0], row[1]))[2]
    if not offers:
        return None
    return min(offers, key=lambda o: (o.schedule.moq, o.schedule.tiers[0].unit_price, o.sequence))


def quote(offers: Sequence[PricedOffer[OfferIdT]], volume: int) -> Quote[OfferIdT]:
    """The live view of a group whose active intents total `volume` units (DESIGN §3.3).

    `current_unit_price` is the best offer's price at `volume` (None below the MOQ of every
    offer), `next_break` its first tier above `volume` (its first tier below the MOQ, None at its
    last tier), `ladder` its full schedule and `tier_index` the index in `ladder` of the tier
    reached. See `best_offer` for how the offer is chosen. Independent of the order of `offers`.
    """
    offer = best_offer(offers, volume)
    if offer is None:
        return Quote(volume, None, None, None, (), None)
    schedule = offer.schedule
    return Quote(
        volume=volume,
        best_offer_id=offer.id,
        current_unit_price=schedule.price_at(volume),
        next_break=schedule.next_break_at(volume),
        ladder=schedule.tiers,
        tier_index=schedule.tier_index_at(volume),
    )


def default_limit(offers: Sequence[PricedOffer[OfferIdT]], volume: int) -> int | None:
    """The limit of an intent whose consumer gave none (DESIGN §3.4).

    `volume` is the group's total just before this join is counted. The result is the price the
    group displays at that volume or, below every MOQ, the first-tier price of the offer shown.
    None when there is no offer: the limit is then required (the service answers 422).
    """
    offer = best_offer(offers, volume)
    if offer is None:
        return None
    price = offer.schedule.price_at(volume)
    return offer.schedule.tiers[0].unit_price if price is None else price
