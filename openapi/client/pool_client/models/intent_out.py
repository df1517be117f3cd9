from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.intent_status import IntentStatus

T = TypeVar("T", bound="IntentOut")


@_attrs_define
class IntentOut:
    """A consumer's pledge in a group and its outcome.

    Attributes:
        id (UUID):
        group_id (UUID):
        quantity (int):
        max_unit_price (int): Your limit per unit, in minor units.
        delivery_area (None | str):
        status (IntentStatus):
        reason (None | str): Why it was rejected or released, if it was.
        unit_price (int | None): The clearing price, once confirmed.
        created_at (datetime.datetime):
    """

    id: UUID
    group_id: UUID
    quantity: int
    max_unit_price: int
    delivery_area: None | str
    status: IntentStatus
    reason: None | str
    unit_price: int | None
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        group_id = str(self.group_id)

        quantity = self.quantity

        max_unit_price = self.max_unit_price

        delivery_area: None | str
        delivery_area = self.delivery_area

        status = self.status.value

        reason: None | str
        reason = self.reason

        unit_price: int | None
        unit_price = self.unit_price

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "group_id": group_id,
                "quantity": quantity,
                "max_unit_price": max_unit_price,
                "delivery_area": delivery_area,
                "status": status,
                "reason": reason,
                "unit_price": unit_price,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        group_id = UUID(d.pop("group_id"))

        quantity = d.pop("quantity")

        max_unit_price = d.pop("max_unit_price")

        def _parse_delivery_area(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        delivery_area = _parse_delivery_area(d.pop("delivery_area"))

        status = IntentStatus(d.pop("status"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_unit_price(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        unit_price = _parse_unit_price(d.pop("unit_price"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        intent_out = cls(
            id=id,
            group_id=group_id,
            quantity=quantity,
            max_unit_price=max_unit_price,
            delivery_area=delivery_area,
            status=status,
            reason=reason,
            unit_price=unit_price,
            created_at=created_at,
        )

        intent_out.additional_properties = d
        return intent_out

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
