from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.db.models import Role
from app.text import SafeStr


class AccountCreate(BaseModel):
    """A new account and the role it acts in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "consumer", "name": "Ada Lovelace"}]},
    )

    role: Role = Field(description="`admin`, `consumer` or `manufacturer`; fixed for life.")
    name: Annotated[str, SafeStr(min_length=1, max_length=200)]


class AccountOut(BaseModel):
    """An account (a principal with one role)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Role
    name: str = Field(description="Display name.")
    created_at: datetime


class AccountCreated(AccountOut):
    api_key: str | None = Field(
        description="The new API key. Shown once: Pool stores only its hash, so a retry with the "
        "same Idempotency-Key returns the account with `api_key: null`."
    )


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    api_key: str | None = Field(
        description="The new key, shown once (null on an Idempotency-Key replay)."
    )


class KeyPage(BaseModel):
    data: list[KeyOut]
    next_cursor: str | None = None
