from enum import StrEnum


class EndpointCreateSubscribedEventType(StrEnum):
    ALL = "*"
    GROUP_CANCELLED = "group.cancelled"
    GROUP_CONFIRMED = "group.confirmed"
    GROUP_CREATED = "group.created"
    GROUP_FAILED = "group.failed"
    GROUP_TIER_REACHED = "group.tier_reached"
    INTENT_CONFIRMED = "intent.confirmed"
    INTENT_CREATED = "intent.created"
    INTENT_REJECTED = "intent.rejected"
    INTENT_RELEASED = "intent.released"
    INTENT_WITHDRAWN = "intent.withdrawn"
    OFFER_CREATED = "offer.created"
    ORDER_ACKNOWLEDGED = "order.acknowledged"
    ORDER_CREATED = "order.created"

    def __str__(self) -> str:
        return str(self.value)
