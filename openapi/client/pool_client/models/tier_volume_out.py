from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TierVolumeOut")


@_attrs_define
class TierVolumeOut:
    """
    Attributes:
        min_quantity (int):
        unit_price (int):
        volume (int): Units willing to pay this tier's price.
        clears (bool): Whether that volume reaches the tier (price(volume) ≤ it).
    """

    min_quantity: int
    unit_price: int
    volume: int
    clears: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        min_quantity = self.min_quantity

        unit_price = self.unit_price

        volume = self.volume

        clears = self.clears

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "min_quantity": min_quantity,
                "unit_price": unit_price,
                "volume": volume,
                "clears": clears,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        min_quantity = d.pop("min_quantity")

        unit_price = d.pop("unit_price")

        volume = d.pop("volume")

        clears = d.pop("clears")

        tier_volume_out = cls(
            min_quantity=min_quantity,
            unit_price=unit_price,
            volume=volume,
            clears=clears,
        )

        tier_volume_out.additional_properties = d
        return tier_volume_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
