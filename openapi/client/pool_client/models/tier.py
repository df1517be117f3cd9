from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Tier")


@_attrs_define
class Tier:
    """A price break: from `min_quantity` pooled units on, every unit costs `unit_price`.

    Attributes:
        min_quantity (int): Pooled units from which this price applies.
        unit_price (int): Minor units (cents) of the currency.
    """

    min_quantity: int
    unit_price: int

    def to_dict(self) -> dict[str, Any]:
        min_quantity = self.min_quantity

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "min_quantity": min_quantity,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        min_quantity = d.pop("min_quantity")

        unit_price = d.pop("unit_price")

        tier = cls(
            min_quantity=min_quantity,
            unit_price=unit_price,
        )

        return tier
