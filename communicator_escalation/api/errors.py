"""The API's error body and the handlers that turn failures into it."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import EscalationError, InvalidRequest, StoreUnavailable

__all__ = ["ERROR_RESPONSES", "ErrorBody", "ErrorDetail", "install_error_handlers"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable error code, e.g. not_found, ambiguous_customer, no_open_escalation.")
    message: str = Field(description="What went wrong, in one sentence.")
    candidates: list[Any] = Field(default_factory=list, description="Suggestions (names, ids) when there are any.")
    notes: list[dict[str, str]] = Field(
        default_factory=list, description="A refused send's blocking review notes: {kind, code, text} (send_blocked codes)."
    )


class ErrorBody(BaseModel):
    """Every error response: the same shape the CLI prints with --json."""

    error: ErrorDetail = Field(description="The error.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {404: "Not found", 409: "Ambiguous", 422: "Invalid request", 503: "Database unavailable"}.items()
}


def _body(err: EscalationError) -> JSONResponse:
    return JSONResponse(err.to_dict(), status_code=err.http_status, headers=getattr(err, "headers", None))


async def _escalation_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, EscalationError)
    return _body(err)


async def _database_error(_: Request, err: Exception) -> JSONResponse:
    return _body(StoreUnavailable(f"database unavailable: {err.__class__.__name__}"))


async def _http_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
    body = ErrorBody(error=ErrorDetail(code=code, message=str(err.detail)))
    return JSONResponse(body.model_dump(), status_code=err.status_code, headers=getattr(err, "headers", None))


async def _validation_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
    return _body(InvalidRequest(problems))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure with an `ErrorBody` and the error's HTTP status, never a traceback."""
    app.add_exception_handler(EscalationError, _escalation_error)
    app.add_exception_handler(psycopg.OperationalError, _database_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
