"""Every error leaves as `{"error": {"code", "message", "fields"}}` (docs/api-contract.md)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.domain.bulk_users import InvalidRows
from server.domain.errors import DomainError

log = logging.getLogger(__name__)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status_code=status,
        headers=headers,
    )


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, exc.fields, headers)


async def _invalid_rows(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidRows)
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "fields": {},
            "rows": [
                {"row": r.row, "code": r.code, "message": r.message, "fields": r.fields} for r in exc.rows
            ],
        }
    }
    return JSONResponse(body, status_code=exc.status)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        fields[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
    return error_response(422, "validation_error", "invalid request", fields)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
    return error_response(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error turned into 409: %s", type(exc).__name__)
    return error_response(409, "conflict", "the change conflicts with existing data")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(InvalidRows, _invalid_rows)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
