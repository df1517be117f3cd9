"""Authentication and role checks as FastAPI dependencies (``Annotated`` aliases per role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.service import Principal, authenticate
from app.db.models import Role
from app.deps import DbDep
from app.errors import Forbidden, Unauthenticated
from app.ratelimit import RateLimiter, budget_of

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer pool_con_…` (prefix per role).",
)


async def current_principal(
    request: Request,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, authenticated and counted against its key's rate budget."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Send `Authorization: Bearer <api key>`.")
    principal = await authenticate(db, credentials.credentials)
    if principal is None:
        raise Unauthenticated("The API key is unknown or revoked.")
    request.state.principal = principal  # for the audit trail
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(budget_of(request.method), principal.key_id)
    return principal


def require(*roles: Role) -> object:
    allowed = ", ".join(sorted(role.value for role in roles))

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"This needs the role {allowed}; you are {principal.role.value}.")
        return principal

    return Depends(check)


CurrentAccount = Annotated[Principal, Depends(current_principal)]
CurrentAdmin = Annotated[Principal, require(Role.admin)]
CurrentConsumer = Annotated[Principal, require(Role.consumer)]
CurrentManufacturer = Annotated[Principal, require(Role.manufacturer)]
CurrentManufacturerOrAdmin = Annotated[Principal, require(Role.manufacturer, Role.admin)]
