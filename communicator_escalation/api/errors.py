"""The API's error body, the one map from error codes to HTTP statuses, and the handlers using both.

Domain errors carry a code and no HTTP status; `STATUS_BY_CODE` is the only place a code becomes a
status. An error class without an entry of its own takes its nearest base class's (a new kind of
`Refused` is a 409 like every refusal).
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..auth.tokens import Unauthorized, bearer_challenge
from ..errors import EscalationError, InvalidRequest, StoreUnavailable

__all__ = ["ERROR_RESPONSES", "STATUS_BY_CODE", "ErrorBody", "ErrorDetail", "install_error_handlers", "status_of"]

STATUS_BY_CODE: dict[str, int] = {
    "error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "customer_not_found": 404,
    "no_open_escalation": 404,
    "not_found": 404,
    "ambiguous_customer": 409,
    "refused": 409,
    "invalid_request": 422,
    "invalid_world_file": 422,
    "send_blocked": 422,
    "configuration_error": 500,
    "mail_error": 502,
    "database_unavailable": 503,
}


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


def status_of(err: EscalationError) -> int:
    """The HTTP status of `err`: its code's, else the nearest base class's code's."""
    for cls in type(err).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return STATUS_BY_CODE["error"]


def _body(err: EscalationError) -> JSONResponse:
    headers = bearer_challenge(err) if isinstance(err, Unauthorized) else None
    return JSONResponse(err.to_dict(), status_code=status_of(err), headers=headers)


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
