"""Small validation helpers shared by the pricing modules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from app.pricing.errors import InvalidIntent, InvalidOffers

if TYPE_CHECKING:
    from app.pricing.quote import PricedOffer

# Quantities and amounts are stored as 64-bit integers; anything larger cannot be persisted.
MAX_AMOUNT = 2**63 - 1


def is_int(value: object) -> bool:
    """True for a real integer: bool is rejected although it subclasses int."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_positive_int(value: object) -> bool:
    """True for an integer in 1..MAX_AMOUNT."""
    return is_int(value) and 1 <= value <= MAX_AMOUNT  # type: ignore[operator]


def check_intent(quantity: object, limit: object, index: int | None = None) -> None:
    """Raise InvalidIntent unless quantity and limit are positive integers."""
    at = "" if index is None else f"intent {index}: "
    if not is_positive_int(quantity):
        raise InvalidIntent(
            f"{at}quantity must be a positive integer, got {quantity!r}",
            reason="quantity_not_positive",
            index=index,
            field="quantity",
        )
    if not is_positive_int(limit):
        raise InvalidIntent(
            f"{at}limit must be a positive integer, got {limit!r}",
            reason="limit_not_positive",
            index=index,
            field="limit",
        )


def check_intent_pairs(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Validate (quantity, limit) pairs and return them as a list."""
    checked = list(pairs)
    for index, (quantity, limit) in enumerate(checked):
        check_intent(quantity, limit, index)
    return checked


def check_columns(quantities: Sequence[int], limits: Sequence[int]) -> None:
    """Validate parallel columns of quantities and limits in C-speed passes (no per-row Python)."""
    if len(quantities) != len(limits):
        raise InvalidIntent(
            f"{len(quantities)} quantities but {len(limits)} limits",
            reason="length_mismatch",
        )
    if not quantities:
        return
    for name, column in (("quantity", quantities), ("limit", limits)):
        if not set(map(type, column)) <= {int} or not 1 <= min(column) <= max(column) <= MAX_AMOUNT:
            index = next(i for i, value in enumerate(column) if not is_positive_int(value))
            raise InvalidIntent(
                f"intent {index}: {name} must be a positive integer, got {column[index]!r}",
                reason=f"{name}_not_positive",
                index=index,
                field=name,
            )


def check_offer_sequences(offers: Sequence[PricedOffer[Any]]) -> None:
    """Raise InvalidOffers when two offers share a sequence: ties could not be broken."""
    seen: dict[int, int] = {}
    for index, offer in enumerate(offers):
        earlier = seen.setdefault(offer.sequence, index)
        if earlier != index:
            raise InvalidOffers(
                f"offer {index}: sequence {offer.sequence} is also offer {earlier}'s",
                reason="duplicate_sequence",
                index=index,
                field="sequence",
            )
