"""Cursor pagination: ``?limit=&cursor=`` → ``{"data": [...], "next_cursor": null | str}``.

A cursor is the opaque, url-safe encoding of the last row's sort key (a UUIDv7 id, so creation
order). Clients pass it back verbatim.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from app.errors import AppError

T = TypeVar("T")


class InvalidCursor(AppError):
    status, code, title = 400, "invalid_cursor", "The cursor is not one this API issued"


class Page(BaseModel, Generic[T]):
    """One page of a list, in the list's order."""

    data: list[T] = Field(description="The items of this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error):
        raise InvalidCursor from None


PAGE_SIZE_MAX = 200  # fixed: the OpenAPI document promises it to generated clients
LimitQuery = Annotated[
    int, Query(ge=1, le=PAGE_SIZE_MAX, description=f"Page size, 1 to {PAGE_SIZE_MAX}.")
]
CursorQuery = Annotated[
    str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
]
