from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict

from app.accounts import keys_service, service
from app.accounts.auth import CurrentAccount, CurrentAdmin
from app.accounts.keys_service import AccountNotFound, KeyNotFound
from app.accounts.schemas import (
    AccountCreate,
    AccountCreated,
    AccountOut,
    KeyCreated,
    KeyOut,
    KeyPage,
)
from app.deps import DbDep, SettingsDep
from app.errors import Forbidden, NotFound, Unauthenticated, responses
from app.idempotency import (
    IdempotencyHeader,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    idempotency,
)

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class EmptyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthenticated, Forbidden, IdempotencyKeyReused, IdempotencyInFlight),
    summary="Create an account with its first API key (admin)",
)
async def create_account(
    body: AccountCreate,
    db: DbDep,
    settings: SettingsDep,
    admin: CurrentAdmin,
    key: IdempotencyHeader = None,
) -> AccountCreated:
    idem = idempotency(key, "create_account", body, settings.idempotency_ttl_seconds)
    created = await service.create_account(
        db, body.role, body.name, caller_id=admin.account_id, idem=idem
    )
    if isinstance(created, service.NewAccount):
        out = AccountOut.model_validate(created.account)
        return AccountCreated(**out.model_dump(), api_key=created.api_key)
    return AccountCreated(**AccountOut.model_validate(created).model_dump(), api_key=None)


@router.get("/me", responses=responses(Unauthenticated, NotFound), summary="The calling account")
async def get_me(db: DbDep, principal: CurrentAccount) -> AccountOut:
    account = await service.get_account(db, principal.account_id)
    if account is None:
        raise NotFound("The account of this key is gone.")
    return AccountOut.model_validate(account)


def _uuid_or_404(raw: str, error: type[NotFound]) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise error from None


@router.post(
    "/{account_id}/keys",
    status_code=status.HTTP_201_CREATED,
    tags=["keys"],
    summary="Issue another API key for an account (admin, or the account itself)",
    responses=responses(
        Unauthenticated, AccountNotFound, IdempotencyKeyReused, IdempotencyInFlight
    ),
)
async def create_key(
    account_id: Annotated[str, Path(description="The account's id (a UUID).")],
    db: DbDep,
    settings: SettingsDep,
    caller: CurrentAccount,
    key: IdempotencyHeader = None,
) -> KeyCreated:
    owner = _uuid_or_404(account_id, AccountNotFound)
    idem = idempotency(key, f"create_key {owner}", EmptyBody(), settings.idempotency_ttl_seconds)
    issued = await keys_service.issue_key(db, caller, owner, idem)
    return KeyCreated(**KeyOut.model_validate(issued.key).model_dump(), api_key=issued.raw)


@router.get(
    "/{account_id}/keys",
    tags=["keys"],
    summary="An account's API keys, never the keys themselves (admin, or the account itself)",
    responses=responses(Unauthenticated, AccountNotFound),
)
async def list_keys(
    account_id: Annotated[str, Path(description="The account's id (a UUID).")],
    db: DbDep,
    caller: CurrentAccount,
) -> KeyPage:
    keys = await keys_service.list_keys(db, caller, _uuid_or_404(account_id, AccountNotFound))
    return KeyPage(data=[KeyOut.model_validate(k) for k in keys])


keys_router = APIRouter(prefix="/v1/keys", tags=["keys"])


@keys_router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key at once (admin, or the key's own account; idempotent)",
    responses=responses(Unauthenticated, KeyNotFound),
)
async def revoke_key(
    key_id: Annotated[str, Path(description="The key's id (a UUID).")],
    request: Request,
    db: DbDep,
    caller: CurrentAccount,
) -> Response:
    key = _uuid_or_404(key_id, KeyNotFound)
    await keys_service.revoke_key(db, caller, key, request.app.state.key_cache)
    return Response(status_code=status.HTTP_204_NO_CONTENT)  # no body, so no Content-Type
