from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AuditEntryOut")


@_attrs_define
class AuditEntryOut:
    """
    Attributes:
        id (UUID):
        at (datetime.datetime):
        account_id (UUID):
        key_id (UUID):
        method (str):
        route (str):
        object_id (None | str):
        status (int):
        request_id (str):
    """

    id: UUID
    at: datetime.datetime
    account_id: UUID
    key_id: UUID
    method: str
    route: str
    object_id: None | str
    status: int
    request_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        at = self.at.isoformat()

        account_id = str(self.account_id)

        key_id = str(self.key_id)

        method = self.method

        route = self.route

        object_id: None | str
        object_id = self.object_id

        status = self.status

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "at": at,
                "account_id": account_id,
                "key_id": key_id,
                "method": method,
                "route": route,
                "object_id": object_id,
                "status": status,
                "request_id": request_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        account_id = UUID(d.pop("account_id"))

        key_id = UUID(d.pop("key_id"))

        method = d.pop("method")

        route = d.pop("route")

        def _parse_object_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        object_id = _parse_object_id(d.pop("object_id"))

        status = d.pop("status")

        request_id = d.pop("request_id")

        audit_entry_out = cls(
            id=id,
            at=at,
            account_id=account_id,
            key_id=key_id,
            method=method,
            route=route,
            object_id=object_id,
            status=status,
            request_id=request_id,
        )

        audit_entry_out.additional_properties = d
        return audit_entry_out

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
