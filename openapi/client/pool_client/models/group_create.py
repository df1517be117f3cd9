from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.offer_in import OfferIn


T = TypeVar("T", bound="GroupCreate")


@_attrs_define
class GroupCreate:
    """A new group: a manufacturer's campaign (with `offer`) or a consumer's request.

    Attributes:
        title (str):
        currency (str): ISO 4217 code; a campaign's must match its offer's.
        deadline (datetime.datetime): When the group closes (RFC 3339, with an offset).
        description (str | Unset):  Default: ''.
        category (None | str | Unset): Free-form label to filter by (`GET /v1/groups?category=`).
        max_quantity (int | None | Unset): Hard cap on the sum of active intents (without one, the cap is 10^9 units).
        max_per_intent (int | Unset): Largest quantity one intent may pledge. Default: 1000000.
        offer (None | OfferIn | Unset): Required for a manufacturer's campaign; absent for a consumer's request.
    """

    title: str
    currency: str
    deadline: datetime.datetime
    description: str | Unset = ""
    category: None | str | Unset = UNSET
    max_quantity: int | None | Unset = UNSET
    max_per_intent: int | Unset = 1000000
    offer: None | OfferIn | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.offer_in import OfferIn  # noqa: PLC0415

        title = self.title

        currency = self.currency

        deadline = self.deadline.isoformat()

        description = self.description

        category: None | str | Unset
        if isinstance(self.category, Unset):
            category = UNSET
        else:
            category = self.category

        max_quantity: int | None | Unset
        if isinstance(self.max_quantity, Unset):
            max_quantity = UNSET
        else:
            max_quantity = self.max_quantity

        max_per_intent = self.max_per_intent

        offer: dict[str, Any] | None | Unset
        if isinstance(self.offer, Unset):
            offer = UNSET
        elif isinstance(self.offer, OfferIn):
            offer = self.offer.to_dict()
        else:
            offer = self.offer

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "title": title,
                "currency": currency,
                "deadline": deadline,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if category is not UNSET:
            field_dict["category"] = category
        if max_quantity is not UNSET:
            field_dict["max_quantity"] = max_quantity
        if max_per_intent is not UNSET:
            field_dict["max_per_intent"] = max_per_intent
        if offer is not UNSET:
            field_dict["offer"] = offer

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.offer_in import OfferIn  # noqa: PLC0415

        d = dict(src_dict)
        title = d.pop("title")

        currency = d.pop("currency")

        deadline = datetime.datetime.fromisoformat(d.pop("deadline"))

        description = d.pop("description", UNSET)

        def _parse_category(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        category = _parse_category(d.pop("category", UNSET))

        def _parse_max_quantity(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_quantity = _parse_max_quantity(d.pop("max_quantity", UNSET))

        max_per_intent = d.pop("max_per_intent", UNSET)

        def _parse_offer(data: object) -> None | OfferIn | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                offer_type_0 = OfferIn.from_dict(data)

                return offer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OfferIn | Unset, data)

        offer = _parse_offer(d.pop("offer", UNSET))

        group_create = cls(
            title=title,
            currency=currency,
            deadline=deadline,
            description=description,
            category=category,
            max_quantity=max_quantity,
            max_per_intent=max_per_intent,
            offer=offer,
        )

        return group_create
