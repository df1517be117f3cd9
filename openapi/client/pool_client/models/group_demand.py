from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.group_kind import GroupKind

if TYPE_CHECKING:
    from ..models.curve_point_out import CurvePointOut
    from ..models.tier_volume_out import TierVolumeOut


T = TypeVar("T", bound="GroupDemand")


@_attrs_define
class GroupDemand:
    """
    Attributes:
        group_id (UUID):
        kind (GroupKind):
        title (str):
        category (None | str):
        currency (str):
        deadline (datetime.datetime):
        total_quantity (int): Units pledged by active intents.
        participant_count (int): Distinct consumers with an active intent.
        current_unit_price (int | None): The best offer's price at `total_quantity`, as `GET /v1/groups/{group_id}`
            shows it; null below its MOQ or without offers.
        is_owner (bool): Whether you opened this group.
        demand_curve (list[CurvePointOut]): Units willing at each price, highest price first (cumulative).
        your_offer_id (None | UUID):
        your_tier_volumes (list[TierVolumeOut] | None): For your own live offer: the volume each of its tiers would
            clear at.
    """

    group_id: UUID
    kind: GroupKind
    title: str
    category: None | str
    currency: str
    deadline: datetime.datetime
    total_quantity: int
    participant_count: int
    current_unit_price: int | None
    is_owner: bool
    demand_curve: list[CurvePointOut]
    your_offer_id: None | UUID
    your_tier_volumes: list[TierVolumeOut] | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        group_id = str(self.group_id)

        kind = self.kind.value

        title = self.title

        category: None | str
        category = self.category

        currency = self.currency

        deadline = self.deadline.isoformat()

        total_quantity = self.total_quantity

        participant_count = self.participant_count

        current_unit_price: int | None
        current_unit_price = self.current_unit_price

        is_owner = self.is_owner

        demand_curve = []
        for demand_curve_item_data in self.demand_curve:
            demand_curve_item = demand_curve_item_data.to_dict()
            demand_curve.append(demand_curve_item)

        your_offer_id: None | str
        if isinstance(self.your_offer_id, UUID):
            your_offer_id = str(self.your_offer_id)
        else:
            your_offer_id = self.your_offer_id

        your_tier_volumes: list[dict[str, Any]] | None
        if isinstance(self.your_tier_volumes, list):
            your_tier_volumes = []
            for your_tier_volumes_type_0_item_data in self.your_tier_volumes:
                your_tier_volumes_type_0_item = your_tier_volumes_type_0_item_data.to_dict()
                your_tier_volumes.append(your_tier_volumes_type_0_item)

        else:
            your_tier_volumes = self.your_tier_volumes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "group_id": group_id,
                "kind": kind,
                "title": title,
                "category": category,
                "currency": currency,
                "deadline": deadline,
                "total_quantity": total_quantity,
                "participant_count": participant_count,
                "current_unit_price": current_unit_price,
                "is_owner": is_owner,
                "demand_curve": demand_curve,
                "your_offer_id": your_offer_id,
                "your_tier_volumes": your_tier_volumes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.curve_point_out import CurvePointOut  # noqa: PLC0415
        from ..models.tier_volume_out import TierVolumeOut  # noqa: PLC0415

        d = dict(src_dict)
        group_id = UUID(d.pop("group_id"))

        kind = GroupKind(d.pop("kind"))

        title = d.pop("title")

        def _parse_category(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        category = _parse_category(d.pop("category"))

        currency = d.pop("currency")

        deadline = datetime.datetime.fromisoformat(d.pop("deadline"))

        total_quantity = d.pop("total_quantity")

        participant_count = d.pop("participant_count")

        def _parse_current_unit_price(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        current_unit_price = _parse_current_unit_price(d.pop("current_unit_price"))

        is_owner = d.pop("is_owner")

        demand_curve = []
        _demand_curve = d.pop("demand_curve")
        for demand_curve_item_data in _demand_curve:
            demand_curve_item = CurvePointOut.from_dict(demand_curve_item_data)

            demand_curve.append(demand_curve_item)

        def _parse_your_offer_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                your_offer_id_type_0 = UUID(data)

                return your_offer_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        your_offer_id = _parse_your_offer_id(d.pop("your_offer_id"))

        def _parse_your_tier_volumes(data: object) -> list[TierVolumeOut] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                your_tier_volumes_type_0 = []
                _your_tier_volumes_type_0 = data
                for your_tier_volumes_type_0_item_data in _your_tier_volumes_type_0:
                    your_tier_volumes_type_0_item = TierVolumeOut.from_dict(your_tier_volumes_type_0_item_data)

                    your_tier_volumes_type_0.append(your_tier_volumes_type_0_item)

                return your_tier_volumes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[TierVolumeOut] | None, data)

        your_tier_volumes = _parse_your_tier_volumes(d.pop("your_tier_volumes"))

        group_demand = cls(
            group_id=group_id,
            kind=kind,
            title=title,
            category=category,
            currency=currency,
            deadline=deadline,
            total_quantity=total_quantity,
            participant_count=participant_count,
            current_unit_price=current_unit_price,
            is_owner=is_owner,
            demand_curve=demand_curve,
            your_offer_id=your_offer_id,
            your_tier_volumes=your_tier_volumes,
        )

        group_demand.additional_properties = d
        return group_demand

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
