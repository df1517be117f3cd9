"""The pricing engine (DESIGN §3): tier schedules, the live quote, clearing and demand curves.

Pure: standard library only, no I/O, no clock. Money is an int count of minor units.
"""

from app.pricing.clearing import (
    PRICE_ABOVE_LIMIT,
    Clearing,
    ClearingIntent,
    ClearingOffer,
    OfferClearing,
    Outcome,
    clear,
    clear_limits,
)
from app.pricing.curve import CurvePoint, TierVolume, demand_curve, tier_volumes
from app.pricing.errors import InvalidIntent, InvalidOffers, InvalidSchedule, PricingError
from app.pricing.quote import PricedOffer, Quote, best_offer, default_limit, quote
from app.pricing.schedule import (
    MAX_TIERS,
    NextBreak,
    Tier,
    TierSchedule,
    tiers_crossed,
    tiers_reached,
)

__all__ = [
    "MAX_TIERS",
    "PRICE_ABOVE_LIMIT",
    "Clearing",
    "ClearingIntent",
    "ClearingOffer",
    "CurvePoint",
    "InvalidIntent",
    "InvalidOffers",
    "InvalidSchedule",
    "NextBreak",
    "OfferClearing",
    "Outcome",
    "PricedOffer",
    "PricingError",
    "Quote",
    "Tier",
    "TierSchedule",
    "TierVolume",
    "best_offer",
    "clear",
    "clear_limits",
    "default_limit",
    "demand_curve",
    "quote",
    "tier_volumes",
    "tiers_crossed",
    "tiers_reached",
]
