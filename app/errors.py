"""Errors a client can cause, rendered as RFC 9457 ``application/problem+json``.

Every domain error is an ``AppError`` subclass that carries its HTTP status, a stable snake_case
``code`` and a title; ``responses(...)`` documents a route's errors in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://pool.dev/problems/"
PROBLEM_EXAMPLE: dict[str, Any] = {
    "type": PROBLEM_BASE + "group_not_open",
    "title": "Group is not open",
    "status": 409,
    "detail": "The group is confirmed; intents are frozen.",
    "code": "group_not_open",
    "request_id": "6f1c2e0a9b8d4c3e",
}


class FieldError(BaseModel):
    """One invalid part of a request (in a 422 `validation_error`)."""

    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header`, then field names and indexes.",
        examples=[["body", "offer", "tiers", 1, "unit_price"]],
    )
    msg: str = Field(description="What is wrong, for a person.")
    type: str | None = Field(description="Machine-readable kind, e.g. `greater_than`.")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [PROBLEM_EXAMPLE]})

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this occurrence.")
    code: str = Field(description="Stable snake_case identifier of the problem.")
    request_id: str | None = Field(
        default=None, description="Also in the `X-Request-ID` header; quote it in reports."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="For 422: one entry per invalid field."
    )


class AppError(Exception):
    """Base of every error a client can cause."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.title, self.detail, request_id)


def problem_body(
    status: int, code: str, title: str, detail: str, request_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


class MalformedJson(AppError):
    status, code, title = 400, "malformed_json", "Request body is not valid JSON"


class Unauthenticated(AppError):
    status, code, title = 401, "unauthenticated", "Missing or unknown API key"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Your role may not do this"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflicts with the current state"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class DatabaseUnavailable(AppError):
    status, code, title = 503, "database_unavailable", "Database unavailable"

    def __init__(self, detail: str | None = None) -> None:
        # Every 429 and 503 says when to come back (HEADERS["Retry-After"]).
        super().__init__(detail, headers={"Retry-After": "5"})


class InvalidRequest(AppError):
    """A well-formed request that breaks a rule (422), raised by services."""

    status, code, title = 422, "invalid_request", "Request is not valid"


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: each status once, documented as problem+json."""
    out: dict[int | str, dict[str, Any]] = {}
    for error in sorted(errors, key=lambda e: e.status):
        if error.status in out:
            out[error.status]["description"] += f"; `{error.code}`: {error.title}"
        else:
            out[error.status] = error_response(error)
    return out


def error_response(error: type[AppError]) -> dict[str, Any]:
    return problem_response(error.status, error.code, error.title)


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Response headers, as OpenAPI ``components.headers``: ``app.main`` declares X-Request-ID on every
# response (``RequestContextMiddleware`` sets it) and Retry-After on every 429 and 503 (each
# AppError of those statuses is raised with one).
RETRY_STATUSES = ("429", "503")
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the `X-Request-ID` you sent if it matched "
        "`^[A-Za-z0-9._-]{1,64}$`, else a new one. Also in a problem's `request_id` and in the "
        "server's logs; quote it in reports.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
        "example": "6f1c2e0a9b8d4c3e",
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "example": 1,
    },
}


def header_ref(name: str) -> dict[str, str]:
    """A reference to one of ``HEADERS`` (the document's ``components.headers``)."""
    return {"$ref": f"#/components/headers/{name}"}


def problem_response(status: int, code: str, title: str) -> dict[str, Any]:
    """An OpenAPI response object whose body is a problem+json ``Problem``, with an example."""
    example = problem_body(status, code, title, title + ".", "6f1c2e0a9b8d4c3e")
    media = {"schema": PROBLEM_REF, "example": example}
    return {"description": f"`{code}`: {title}", "content": {PROBLEM_JSON: media}}
