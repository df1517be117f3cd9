from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.group_kind import GroupKind
from ..models.group_status import GroupStatus

if TYPE_CHECKING:
    from ..models.next_break_out import NextBreakOut
    from ..models.tier import Tier


T = TypeVar("T", bound="GroupOut")


@_attrs_define
class GroupOut:
    """A group: its live pricing while `open` (DESIGN §3.3), its outcome once closed.

    While `open`, the pricing fields show the **best offer** at `total_quantity`: among the
    offers that have a price at that volume, the lowest price, a tie going to the earlier offer.
    When every offer is below its minimum order quantity (MOQ, its first tier's `min_quantity`),
    it is the offer with the lowest MOQ (the closest to a price), then the lower first-tier price,
    then the earlier offer; `current_unit_price` is then null and `next_break` that offer's first
    tier. "Earlier" is by creation; a bid that replaced the same manufacturer's earlier bid counts
    from its own creation.

    Once the group is no longer `open`, nothing moves any more. A `confirmed` group shows its
    clearing price as `current_unit_price` and the winning offer's `tiers` and id. A `failed` or
    `cancelled` group has no price: `current_unit_price` is null, and `tiers` and `best_offer_id`
    are those of the offer that was best at the close's total. `next_break` is null in every
    closed state. `total_quantity`, `participant_count` and `intent_count` keep their values from
    the moment of the close (the intents then became confirmed, rejected or released);
    `GET /v1/groups/{group_id}/clearing` has the accepted quantity.

        Attributes:
            id (UUID):
            kind (GroupKind):
            status (GroupStatus):
            title (str):
            description (str):
            category (None | str):
            currency (str): ISO 4217 code of every price in the group.
            deadline (datetime.datetime): When the worker closes the group.
            max_quantity (int | None): Cap on the sum of active intents, if any.
            max_per_intent (int): Largest quantity one intent may pledge.
            total_quantity (int): Units pledged by active intents; once closed, the total at the close.
            participant_count (int): Distinct consumers with an active intent; once closed, as at the close.
            intent_count (int): Active intents; once closed, as at the close.
            current_unit_price (int | None): `open`: the best offer's price at `total_quantity`, null below its MOQ or
                without offers. `confirmed`: the clearing price every accepted intent pays. `failed`, `cancelled`: null.
            next_break (NextBreakOut | None): `open`: the best offer's next tier (its first tier below its MOQ); null at its
                last tier or without offers. Null once the group is no longer `open`.
            tiers (list[Tier]): The best offer's ladder (empty without offers); once `confirmed`, the winning offer's.
            best_offer_id (None | UUID): `open`: the offer shown (the lowest price at `total_quantity`; below every MOQ, the
                lowest MOQ: see the schema's description). `confirmed`: the winning offer. `failed`, `cancelled`: the offer that
                was best at the close. Null without offers.
            offer_count (int): Live offers: 1 for a campaign, the bids for a request.
            is_owner (bool): Whether the caller opened this group.
            created_at (datetime.datetime):
            closed_at (datetime.datetime | None): When it left `open`; null while open.
    """

    id: UUID
    kind: GroupKind
    status: GroupStatus
    title: str
    description: str
    category: None | str
    currency: str
    deadline: datetime.datetime
    max_quantity: int | None
    max_per_intent: int
    total_quantity: int
    participant_count: int
    intent_count: int
    current_unit_price: int | None
    next_break: NextBreakOut | None
    tiers: list[Tier]
    best_offer_id: None | UUID
    offer_count: int
    is_owner: bool
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.next_break_out import NextBreakOut  # noqa: PLC0415

        id = str(self.id)

        kind = self.kind.value

        status = self.status.value

        title = self.title

        description = self.description

        category: None | str
        category = self.category

        currency = self.currency

        deadline = self.deadline.isoformat()

        max_quantity: int | None
        max_quantity = self.max_quantity

        max_per_intent = self.max_per_intent

        total_quantity = self.total_quantity

        participant_count = self.participant_count

        intent_count = self.intent_count

        current_unit_price: int | None
        current_unit_price = self.current_unit_price

        next_break: dict[str, Any] | None
        if isinstance(self.next_break, NextBreakOut):
            next_break = self.next_break.to_dict()
        else:
            next_break = self.next_break

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        best_offer_id: None | str
        if isinstance(self.best_offer_id, UUID):
            best_offer_id = str(self.best_offer_id)
        else:
            best_offer_id = self.best_offer_id

        offer_count = self.offer_count

        is_owner = self.is_owner

        created_at = self.created_at.isoformat()

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "status": status,
                "title": title,
                "description": description,
                "category": category,
                "currency": currency,
                "deadline": deadline,
                "max_quantity": max_quantity,
                "max_per_intent": max_per_intent,
                "total_quantity": total_quantity,
                "participant_count": participant_count,
                "intent_count": intent_count,
                "current_unit_price": current_unit_price,
                "next_break": next_break,
                "tiers": tiers,
                "best_offer_id": best_offer_id,
                "offer_count": offer_count,
                "is_owner": is_owner,
                "created_at": created_at,
                "closed_at": closed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.next_break_out import NextBreakOut  # noqa: PLC0415
        from ..models.tier import Tier  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        kind = GroupKind(d.pop("kind"))

        status = GroupStatus(d.pop("status"))

        title = d.pop("title")

        description = d.pop("description")

        def _parse_category(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        category = _parse_category(d.pop("category"))

        currency = d.pop("currency")

        deadline = datetime.datetime.fromisoformat(d.pop("deadline"))

        def _parse_max_quantity(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_quantity = _parse_max_quantity(d.pop("max_quantity"))

        max_per_intent = d.pop("max_per_intent")

        total_quantity = d.pop("total_quantity")

        participant_count = d.pop("participant_count")

        intent_count = d.pop("intent_count")

        def _parse_current_unit_price(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        current_unit_price = _parse_current_unit_price(d.pop("current_unit_price"))

        def _parse_next_break(data: object) -> NextBreakOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_break_type_0 = NextBreakOut.from_dict(data)

                return next_break_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(NextBreakOut | None, data)

        next_break = _parse_next_break(d.pop("next_break"))

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = Tier.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        def _parse_best_offer_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                best_offer_id_type_0 = UUID(data)

                return best_offer_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        best_offer_id = _parse_best_offer_id(d.pop("best_offer_id"))

        offer_count = d.pop("offer_count")

        is_owner = d.pop("is_owner")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

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

        group_out = cls(
            id=id,
            kind=kind,
            status=status,
            title=title,
            description=description,
            category=category,
            currency=currency,
            deadline=deadline,
            max_quantity=max_quantity,
            max_per_intent=max_per_intent,
            total_quantity=total_quantity,
            participant_count=participant_count,
            intent_count=intent_count,
            current_unit_price=current_unit_price,
            next_break=next_break,
            tiers=tiers,
            best_offer_id=best_offer_id,
            offer_count=offer_count,
            is_owner=is_owner,
            created_at=created_at,
            closed_at=closed_at,
        )

        group_out.additional_properties = d
        return group_out

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
