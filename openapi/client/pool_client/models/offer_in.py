from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.tier import Tier


T = TypeVar("T", bound="OfferIn")


@_attrs_define
class OfferIn:
    """A manufacturer's tier schedule for one group.

    Attributes:
        currency (str): ISO 4217 code; must be the group's.
        tiers (list[Tier]): Price breaks in order: strictly increasing `min_quantity` (the first ≥ 1), non-increasing
            `unit_price`. An unsorted list is refused.
    """

    currency: str
    tiers: list[Tier]

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "currency": currency,
                "tiers": tiers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier import Tier  # noqa: PLC0415

        d = dict(src_dict)
        currency = d.pop("currency")

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = Tier.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        offer_in = cls(
            currency=currency,
            tiers=tiers,
        )

        return offer_in
