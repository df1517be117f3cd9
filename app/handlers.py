"""Exception handlers: everything a client can cause becomes ``application/problem+json``."""

from __future__ import annotations

import functools
import re
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PROBLEM_JSON, AppError, problem_body
from app.observability import request_id_var

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def problem(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def app_error(_request: Request, exc: Exception) -> JSONResponse:
    error = cast(AppError, exc)
    return problem(error.status, error.body(request_id_var.get()), error.headers)


@functools.cache
def _path_pattern(template: str) -> re.Pattern[str]:
    """``/v1/groups/{group_id}`` → a pattern matching ``/v1/groups/<one segment>``."""
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def allowed_methods(request: Request) -> str | None:
    """Every method the request's path answers to, from the OpenAPI document: Starlette names
    only those of the first route on the path, but ``GET /v1/groups`` and ``POST /v1/groups`` are
    two routes, and a 405 must list all of the resource's methods (RFC 9110 §15.5.6)."""
    methods = {
        method.upper()
        for template, item in request.app.openapi()["paths"].items()
        if _path_pattern(template).fullmatch(request.url.path)
        for method in item
    }
    return ", ".join(sorted(methods)) or None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    status = exc.status_code
    code = HTTP_CODES.get(status, f"http_{status}")
    title = HTTPStatus(status).phrase
    detail = exc.detail if isinstance(exc.detail, str) else title
    body = problem_body(status, code, title, detail, request_id_var.get())
    headers = dict(exc.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED and (allow := allowed_methods(request)):
        headers["Allow"] = allow
    return problem(status, body, headers)


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    """One invalid field, without echoing the input back (it may be large or secret)."""
    return {
        "loc": list(error.get("loc", ())),
        "msg": error.get("msg", ""),
        "type": error.get("type"),
    }


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = [_clean(e) for e in cast(RequestValidationError, exc).errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        body = problem_body(
            400,
            "malformed_json",
            "Request body is not valid JSON",
            "The body could not be parsed as JSON.",
            request_id_var.get(),
        )
        return problem(400, body)
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"])
    body = problem_body(
        422,
        "validation_error",
        "Request is not valid",
        f"{where}: {first['msg']}" if where else str(first["msg"]),
        request_id_var.get(),
        errors=errors,
    )
    return problem(422, body)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
