from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.order_status import OrderStatus

if TYPE_CHECKING:
    from ..models.area_total import AreaTotal


T = TypeVar("T", bound="OrderOut")


@_attrs_define
class OrderOut:
    """The one order a confirmed group emits to its winning manufacturer.

    Attributes:
        id (UUID):
        group_id (UUID): The group whose clearing emitted it.
        offer_id (UUID): The winning offer.
        manufacturer_id (UUID): The winning manufacturer's account id.
        status (OrderStatus):
        currency (str):
        unit_price (int): The clearing price, in minor units.
        total_quantity (int): Units of all lines.
        total_amount (int): unit_price times total_quantity, in minor units.
        line_count (int): Lines: one per confirmed intent.
        area_totals (list[AreaTotal]): Lines and units per delivery_area.
        created_at (datetime.datetime):
        acknowledged_at (datetime.datetime | None): When the manufacturer acknowledged it.
    """

    id: UUID
    group_id: UUID
    offer_id: UUID
    manufacturer_id: UUID
    status: OrderStatus
    currency: str
    unit_price: int
    total_quantity: int
    total_amount: int
    line_count: int
    area_totals: list[AreaTotal]
    created_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        group_id = str(self.group_id)

        offer_id = str(self.offer_id)

        manufacturer_id = str(self.manufacturer_id)

        status = self.status.value

        currency = self.currency

        unit_price = self.unit_price

        total_quantity = self.total_quantity

        total_amount = self.total_amount

        line_count = self.line_count

        area_totals = []
        for area_totals_item_data in self.area_totals:
            area_totals_item = area_totals_item_data.to_dict()
            area_totals.append(area_totals_item)

        created_at = self.created_at.isoformat()

        acknowledged_at: None | str
        if isinstance(self.acknowledged_at, datetime.datetime):
            acknowledged_at = self.acknowledged_at.isoformat()
        else:
            acknowledged_at = self.acknowledged_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "group_id": group_id,
                "offer_id": offer_id,
                "manufacturer_id": manufacturer_id,
                "status": status,
                "currency": currency,
                "unit_price": unit_price,
                "total_quantity": total_quantity,
                "total_amount": total_amount,
                "line_count": line_count,
                "area_totals": area_totals,
                "created_at": created_at,
                "acknowledged_at": acknowledged_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.area_total import AreaTotal  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        group_id = UUID(d.pop("group_id"))

        offer_id = UUID(d.pop("offer_id"))

        manufacturer_id = UUID(d.pop("manufacturer_id"))

        status = OrderStatus(d.pop("status"))

        currency = d.pop("currency")

        unit_price = d.pop("unit_price")

        total_quantity = d.pop("total_quantity")

        total_amount = d.pop("total_amount")

        line_count = d.pop("line_count")

        area_totals = []
        _area_totals = d.pop("area_totals")
        for area_totals_item_data in _area_totals:
            area_totals_item = AreaTotal.from_dict(area_totals_item_data)

            area_totals.append(area_totals_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_acknowledged_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                acknowledged_at_type_0 = datetime.datetime.fromisoformat(data)

                return acknowledged_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        acknowledged_at = _parse_acknowledged_at(d.pop("acknowledged_at"))

        order_out = cls(
            id=id,
            group_id=group_id,
            offer_id=offer_id,
            manufacturer_id=manufacturer_id,
            status=status,
            currency=currency,
            unit_price=unit_price,
            total_quantity=total_quantity,
            total_amount=total_amount,
            line_count=line_count,
            area_totals=area_totals,
            created_at=created_at,
            acknowledged_at=acknowledged_at,
        )

        order_out.additional_properties = d
        return order_out

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
