"""Errors of the pricing engine: each names a stable snake_case `reason` and the offending index."""

from __future__ import annotations


class PricingError(ValueError):
    """Invalid input to the pricing engine.

    `reason` is a stable snake_case code for clients and logs, `index` the position of the offending
    element in the input (0-based, None when the input as a whole is at fault) and `field` the name
    of the offending attribute, if any.
    """

    def __init__(
        self, message: str, *, reason: str, index: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.index = index
        self.field = field


class InvalidSchedule(PricingError):
    """A tier schedule breaks DESIGN §3.1 (the service answers 422)."""


class InvalidIntent(PricingError):
    """An intent (quantity, limit) is not a pair of positive integers."""


class InvalidOffers(PricingError):
    """The offers given to a quote or a clearing cannot be ordered (two share a sequence)."""
