"""Authentication and role checks as FastAPI dependencies (``Annotated`` aliases per role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.service import Principal, authenticate
from app.db.models import Role
from app.errors import Forbidden, Unauthenticated
from app.ratelimit import RateLimiter, budget_of

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer pool_con_…` (prefix per role).",
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def _authenticated(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, authenticated and counted against its key's rate budget."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Send `Authorization: Bearer <api key>`.")
    state = request.app.state
    principal = await authenticate(state.db, credentials.credentials, state.key_cache)
    if principal is None:
        raise Unauthenticated("The API key is unknown or revoked.")
    request.state.principal = principal  # for the audit trail
    limiter: RateLimiter = state.rate_limiter
    await limiter.check(budget_of(request.method), principal.key_id)
    return principal


# One dependency per route, with the bearer scheme as its only sub-dependency: every level of
# FastAPI's dependency solving costs time on every request (bench/README.md, "join").
async def current_principal(request: Request, credentials: Credentials) -> Principal:
    return await _authenticated(request, credentials)


def require(*roles: Role) -> object:
    allowed = ", ".join(sorted(role.value for role in roles))

    async def check(request: Request, credentials: Credentials) -> Principal:
        principal = await _authenticated(request, credentials)
        if principal.role not in roles:
            raise Forbidden(f"This needs the role {allowed}; you are {principal.role.value}.")
        return principal

    return Depends(check)


CurrentAccount = Annotated[Principal, Depends(current_principal)]
CurrentAdmin = Annotated[Principal, require(Role.admin)]
CurrentConsumer = Annotated[Principal, require(Role.consumer)]
CurrentManufacturer = Annotated[Principal, require(Role.manufacturer)]
CurrentManufacturerOrAdmin = Annotated[Principal, require(Role.manufacturer, Role.admin)]
