"""Errors of groups, offers and intents (each documents itself in OpenAPI via ``responses``)."""

from app.errors import Conflict, InvalidRequest, NotFound


class GroupNotFound(NotFound):
    code, title = "group_not_found", "No such group"


class IntentNotFound(NotFound):
    code, title = "intent_not_found", "No such intent of yours"


class GroupNotOpen(Conflict):
    code, title = "group_not_open", "The group is not open"


class MaxQuantityExceeded(Conflict):
    code, title = "max_quantity_exceeded", "The join would pass the group's max_quantity"


class TooManyIntents(Conflict):
    code, title = "too_many_intents", "You hold the most active intents allowed in one group"


class IntentNotActive(Conflict):
    code, title = "intent_not_active", "The intent is no longer active"


class CampaignTakesNoBids(Conflict):
    code, title = "campaign_takes_no_bids", "Only request groups take bids"


class InvalidTiers(InvalidRequest):
    code, title = "invalid_tiers", "The tier schedule breaks the pricing rules"


class CurrencyMismatch(InvalidRequest):
    code, title = "currency_mismatch", "The offer's currency differs from the group's"


class LimitRequired(InvalidRequest):
    code, title = "max_unit_price_required", "max_unit_price is required: the group has no offer"


class QuantityTooLarge(InvalidRequest):
    code, title = "quantity_above_max_per_intent", "The quantity passes the group's max_per_intent"


class InvalidDeadline(InvalidRequest):
    code, title = "invalid_deadline", "The deadline is in the past or too far ahead"


class OfferRequired(InvalidRequest):
    code, title = "offer_required", "A campaign needs its offer"


class OfferNotAllowed(InvalidRequest):
    code, title = "offer_not_allowed", "A consumer's request carries no offer; manufacturers bid"
