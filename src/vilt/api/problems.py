"""Errors as ``application/problem+json`` (RFC 9457), with the fields and reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vilt.core.errors import DomainError, ValidationFailed
from vilt.storage.repositories.paging import BadCursor

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Some fields are invalid",
    500: "Internal error",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        # the same form Pydantic gives every other instant in the API
        return value.isoformat().replace("+00:00", "Z")
    return value


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str = "error",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:vilt:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update({k: _plain(v) for k, v in extra.items()})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        errors = None
        if isinstance(exc, ValidationFailed):
            errors = [{"field": e.field, "reason": e.reason} for e in exc.errors]
        extra = dict(exc.extra)
        if "errors" in extra:
            errors = extra.pop("errors")
        headers = None
        if "retry_after" in extra:
            headers = {"Retry-After": str(extra["retry_after"])}
        return problem(
            exc.status, exc.title, exc.detail, code=exc.code, errors=errors, headers=headers, **extra
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            if error.get("type") == "missing":
                reason = "This field is required."
            errors.append({"field": _field(tuple(error.get("loc", ()))), "reason": reason})
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, "Some fields are invalid", detail, code="validation_failed", errors=errors)

    @app.exception_handler(BadCursor)
    async def bad_cursor(request: Request, exc: BadCursor) -> JSONResponse:
        return problem(
            422,
            "Some fields are invalid",
            str(exc),
            code="validation_failed",
            errors=[{"field": "cursor", "reason": str(exc)}],
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(
            exc.status_code,
            title,
            detail,
            code=title.lower().replace(" ", "_"),
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected_error", path=request.url.path)
        return problem(
            500, "Internal error", "Something went wrong on our side; it was logged.", code="internal"
        )
