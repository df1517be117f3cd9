from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.role import Role

T = TypeVar("T", bound="AccountCreate")


@_attrs_define
class AccountCreate:
    """A new account and the role it acts in.

    Attributes:
        role (Role):
        name (str):
    """

    role: Role
    name: str

    def to_dict(self) -> dict[str, Any]:
        role = self.role.value

        name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "role": role,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        role = Role(d.pop("role"))

        name = d.pop("name")

        account_create = cls(
            role=role,
            name=name,
        )

        return account_create
