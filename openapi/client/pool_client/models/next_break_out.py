from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NextBreakOut")


@_attrs_define
class NextBreakOut:
    """The next price break of the best offer: how many more units bring the next price.

    Attributes:
        min_quantity (int): The tier's threshold.
        unit_price (int): Its unit price, in minor units.
        units_needed (int): Units still to pledge to reach it.
    """

    min_quantity: int
    unit_price: int
    units_needed: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        min_quantity = self.min_quantity

        unit_price = self.unit_price

        units_needed = self.units_needed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "min_quantity": min_quantity,
                "unit_price": unit_price,
                "units_needed": units_needed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        min_quantity = d.pop("min_quantity")

        unit_price = d.pop("unit_price")

        units_needed = d.pop("units_needed")

        next_break_out = cls(
            min_quantity=min_quantity,
            unit_price=unit_price,
            units_needed=units_needed,
        )

        next_break_out.additional_properties = d
        return next_break_out

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
