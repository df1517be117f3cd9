from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.group_status import GroupStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.intent_out import IntentOut


T = TypeVar("T", bound="ClearingOut")


@_attrs_define
class ClearingOut:
    """The outcome of a group's close (DESIGN §3.5). All null while the group is open.

    Attributes:
        group_id (UUID):
        status (GroupStatus):
        unit_price (int | None): The one price every accepted consumer pays.
        accepted_quantity (int | None): Units of the confirmed intents.
        winning_offer_id (None | UUID): The offer that cleared.
        order_id (None | UUID): The order it emitted (`GET /v1/orders/{id}`).
        closed_at (datetime.datetime | None): When the group closed.
        your_intents (list[IntentOut] | None | Unset): For a consumer: the outcome of each of its intents.
    """

    group_id: UUID
    status: GroupStatus
    unit_price: int | None
    accepted_quantity: int | None
    winning_offer_id: None | UUID
    order_id: None | UUID
    closed_at: datetime.datetime | None
    your_intents: list[IntentOut] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        group_id = str(self.group_id)

        status = self.status.value

        unit_price: int | None
        unit_price = self.unit_price

        accepted_quantity: int | None
        accepted_quantity = self.accepted_quantity

        winning_offer_id: None | str
        if isinstance(self.winning_offer_id, UUID):
            winning_offer_id = str(self.winning_offer_id)
        else:
            winning_offer_id = self.winning_offer_id

        order_id: None | str
        if isinstance(self.order_id, UUID):
            order_id = str(self.order_id)
        else:
            order_id = self.order_id

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        your_intents: list[dict[str, Any]] | None | Unset
        if isinstance(self.your_intents, Unset):
            your_intents = UNSET
        elif isinstance(self.your_intents, list):
            your_intents = []
            for your_intents_type_0_item_data in self.your_intents:
                your_intents_type_0_item = your_intents_type_0_item_data.to_dict()
                your_intents.append(your_intents_type_0_item)

        else:
            your_intents = self.your_intents

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "group_id": group_id,
                "status": status,
                "unit_price": unit_price,
                "accepted_quantity": accepted_quantity,
                "winning_offer_id": winning_offer_id,
                "order_id": order_id,
                "closed_at": closed_at,
            }
        )
        if your_intents is not UNSET:
            field_dict["your_intents"] = your_intents

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.intent_out import IntentOut  # noqa: PLC0415

        d = dict(src_dict)
        group_id = UUID(d.pop("group_id"))

        status = GroupStatus(d.pop("status"))

        def _parse_unit_price(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        unit_price = _parse_unit_price(d.pop("unit_price"))

        def _parse_accepted_quantity(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        accepted_quantity = _parse_accepted_quantity(d.pop("accepted_quantity"))

        def _parse_winning_offer_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                winning_offer_id_type_0 = UUID(data)

                return winning_offer_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        winning_offer_id = _parse_winning_offer_id(d.pop("winning_offer_id"))

        def _parse_order_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                order_id_type_0 = UUID(data)

                return order_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        order_id = _parse_order_id(d.pop("order_id"))

        def _parse_closed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        closed_at = _parse_closed_at(d.pop("closed_at"))

        def _parse_your_intents(data: object) -> list[IntentOut] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                your_intents_type_0 = []
                _your_intents_type_0 = data
                for your_intents_type_0_item_data in _your_intents_type_0:
                    your_intents_type_0_item = IntentOut.from_dict(your_intents_type_0_item_data)

                    your_intents_type_0.append(your_intents_type_0_item)

                return your_intents_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[IntentOut] | None | Unset, data)

        your_intents = _parse_your_intents(d.pop("your_intents", UNSET))

        clearing_out = cls(
            group_id=group_id,
            status=status,
            unit_price=unit_price,
            accepted_quantity=accepted_quantity,
            winning_offer_id=winning_offer_id,
            order_id=order_id,
            closed_at=closed_at,
            your_intents=your_intents,
        )

        clearing_out.additional_properties = d
        return clearing_out

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
