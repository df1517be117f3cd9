from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.endpoint_create_subscribed_event_type import EndpointCreateSubscribedEventType
from ..types import UNSET, Unset

T = TypeVar("T", bound="EndpointCreate")


@_attrs_define
class EndpointCreate:
    """
    Attributes:
        url (str): HTTPS URL whose host resolves only to public addresses.
        event_types (list[EndpointCreateSubscribedEventType]): Event types to receive, or `["*"]` for every type you may
            see.
        description (str | Unset):  Default: ''.
    """

    url: str
    event_types: list[EndpointCreateSubscribedEventType]
    description: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        event_types = []
        for event_types_item_data in self.event_types:
            event_types_item = event_types_item_data.value
            event_types.append(event_types_item)

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
                "event_types": event_types,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        event_types = []
        _event_types = d.pop("event_types")
        for event_types_item_data in _event_types:
            event_types_item = EndpointCreateSubscribedEventType(event_types_item_data)

            event_types.append(event_types_item)

        description = d.pop("description", UNSET)

        endpoint_create = cls(
            url=url,
            event_types=event_types,
            description=description,
        )

        return endpoint_create
