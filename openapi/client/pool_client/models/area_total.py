from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AreaTotal")


@_attrs_define
class AreaTotal:
    """An order's lines and units for one delivery area.

    Attributes:
        delivery_area (None | str): Null for lines without an area.
        lines (int): Confirmed intents delivered there.
        quantity (int): Units delivered there.
    """

    delivery_area: None | str
    lines: int
    quantity: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        delivery_area: None | str
        delivery_area = self.delivery_area

        lines = self.lines

        quantity = self.quantity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "delivery_area": delivery_area,
                "lines": lines,
                "quantity": quantity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_delivery_area(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        delivery_area = _parse_delivery_area(d.pop("delivery_area"))

        lines = d.pop("lines")

        quantity = d.pop("quantity")

        area_total = cls(
            delivery_area=delivery_area,
            lines=lines,
            quantity=quantity,
        )

        area_total.additional_properties = d
        return area_total

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
