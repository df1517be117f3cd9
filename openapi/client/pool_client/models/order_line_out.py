from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OrderLineOut")


@_attrs_define
class OrderLineOut:
    """One confirmed intent of an order.

    Attributes:
        id (UUID): The line's id (stable; the cursor follows it).
        consumer_ref (str): Opaque, stable within the group; not an account id.
        quantity (int): Units, at the order's unit price.
        delivery_area (None | str): Where to deliver, as the consumer gave it.
    """

    id: UUID
    consumer_ref: str
    quantity: int
    delivery_area: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        consumer_ref = self.consumer_ref

        quantity = self.quantity

        delivery_area: None | str
        delivery_area = self.delivery_area

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "consumer_ref": consumer_ref,
                "quantity": quantity,
                "delivery_area": delivery_area,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        consumer_ref = d.pop("consumer_ref")

        quantity = d.pop("quantity")

        def _parse_delivery_area(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        delivery_area = _parse_delivery_area(d.pop("delivery_area"))

        order_line_out = cls(
            id=id,
            consumer_ref=consumer_ref,
            quantity=quantity,
            delivery_area=delivery_area,
        )

        order_line_out.additional_properties = d
        return order_line_out

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
