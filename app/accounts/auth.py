"""Authentication and role checks as FastAPI dependencies (``Annotated`` aliases per role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.service import Principal, authenticate
from app.db.models import Role
from app.errors import Forbidden, Unauthenticated
from app.ratelimit import RateLimiter, budget_of, client_address

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer pool_con_…` (prefix per role).",
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def _authenticated(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, authenticated and counted against its key's rate budget. Failures (no key,
    an unknown or revoked one) are counted against the client's address; once it has spent that
    budget, its requests are refused before any key is looked up (a guessed key costs a query)."""
    state = request.app.state
    limiter: RateLimiter = state.rate_limiter
    address = client_address(request.client.host if request.client else None)
    await limiter.check_failures(address)
    if credentials is None or not credentials.credentials:
        await limiter.count_failure(address)
        raise Unauthenticated("Send `Authorization: Bearer <api key>`.")
    principal = await authenticate(state.db, credentials.credentials, state.key_cache)
    if principal is None:
        await limiter.count_failure(address)
        raise Unauthenticated("The API key is unknown or revoked.")
    request.state.principal = principal  # for the audit trail
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
