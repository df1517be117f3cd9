from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="IntentCreate")


@_attrs_define
class IntentCreate:
    """A consumer's pledge to buy `quantity` units at most at `max_unit_price` each.

    Attributes:
        quantity (int): Units you pledge.
        max_unit_price (int | None | Unset): The most you will pay per unit. Omitted: the price shown just before your
            join (or the first tier's price below MOQ). Required in a request with no offer.
        delivery_area (None | str | Unset): Where to deliver (free text, e.g. a region code); orders total their lines
            per area.
    """

    quantity: int
    max_unit_price: int | None | Unset = UNSET
    delivery_area: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        quantity = self.quantity

        max_unit_price: int | None | Unset
        if isinstance(self.max_unit_price, Unset):
            max_unit_price = UNSET
        else:
            max_unit_price = self.max_unit_price

        delivery_area: None | str | Unset
        if isinstance(self.delivery_area, Unset):
            delivery_area = UNSET
        else:
            delivery_area = self.delivery_area

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "quantity": quantity,
            }
        )
        if max_unit_price is not UNSET:
            field_dict["max_unit_price"] = max_unit_price
        if delivery_area is not UNSET:
            field_dict["delivery_area"] = delivery_area

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        quantity = d.pop("quantity")

        def _parse_max_unit_price(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_unit_price = _parse_max_unit_price(d.pop("max_unit_price", UNSET))

        def _parse_delivery_area(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        delivery_area = _parse_delivery_area(d.pop("delivery_area", UNSET))

        intent_create = cls(
            quantity=quantity,
            max_unit_price=max_unit_price,
            delivery_area=delivery_area,
        )

        return intent_create
