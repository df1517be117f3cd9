from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier import Tier


T = TypeVar("T", bound="OfferOut")


@_attrs_define
class OfferOut:
    """A tier schedule offered for a group.

    Attributes:
        id (UUID):
        group_id (UUID):
        manufacturer_id (UUID): The bidding manufacturer's account id.
        currency (str):
        tiers (list[Tier]): Price breaks, by increasing `min_quantity`.
        created_at (datetime.datetime):
    """

    id: UUID
    group_id: UUID
    manufacturer_id: UUID
    currency: str
    tiers: list[Tier]
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        group_id = str(self.group_id)

        manufacturer_id = str(self.manufacturer_id)

        currency = self.currency

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "group_id": group_id,
                "manufacturer_id": manufacturer_id,
                "currency": currency,
                "tiers": tiers,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier import Tier  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        group_id = UUID(d.pop("group_id"))

        manufacturer_id = UUID(d.pop("manufacturer_id"))

        currency = d.pop("currency")

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = Tier.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        offer_out = cls(
            id=id,
            group_id=group_id,
            manufacturer_id=manufacturer_id,
            currency=currency,
            tiers=tiers,
            created_at=created_at,
        )

        offer_out.additional_properties = d
        return offer_out

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
