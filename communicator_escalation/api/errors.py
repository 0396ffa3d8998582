"""The API's error body, the one map from error codes to HTTP statuses, and the handlers using both.

Domain errors carry a code and no HTTP status; `STATUS_BY_CODE` is the only place a code becomes a
status. An error class without an entry of its own takes its nearest base class's (a new kind of
`Refused` is a 409 like every refusal). Every failure, an unexpected one included, is answered with
`ErrorBody` (JSON, non-ASCII escaped so even a lone surrogate in a message cannot break it); 503s carry
`Retry-After`.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..auth.tokens import Unauthorized, bearer_challenge
from ..errors import EscalationError, InvalidRequest, StoreUnavailable
from ..models import ErrorDetail
from ..safe_text import input_problems

__all__ = [
    "ERROR_RESPONSES",
    "STATUS_BY_CODE",
    "ErrorBody",
    "ErrorDetail",
    "Overloaded",
    "RequestTooLarge",
    "error_response",
    "install_error_handlers",
    "retry_after_seconds",
    "status_of",
]

logger = logging.getLogger(__name__)

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
    "method_not_allowed": 405,
    "request_too_large": 413,
    "internal_error": 500,
    "configuration_error": 500,
    "mail_error": 502,
    "database_unavailable": 503,
    "overloaded": 503,
}


class RequestTooLarge(InvalidRequest):
    """A request body over the configured limit (ESCALATION_MAX_REQUEST_BYTES)."""

    code = "request_too_large"


class Overloaded(StoreUnavailable):
    """Every worker is busy and none came free in time: retry after a moment."""

    code = "overloaded"


class _InternalError(EscalationError):
    """A failure nobody expected (a bug): the client gets this code, the log gets the traceback."""

    code = "internal_error"


class _SafeJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: a lone surrogate echoed in a message stays valid output."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class ErrorBody(BaseModel):
    """Every error response: the same shape the CLI prints with --json."""

    error: ErrorDetail = Field(description="The error.")


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text, **({"headers": _RETRY_AFTER} if status == 503 else {})}
    for status, text in {
        401: "Missing or invalid bearer token",
        403: "Not allowed (e.g. deciding an approval without the approver role)",
        404: "Not found (or not reachable for the caller)",
        409: "Ambiguous, or refused in the response's current state",
        413: "Request body over the size limit",
        422: "Invalid request: malformed JSON, unknown fields, bad ids or text, or a blocked send",
        500: "Unexpected server error",
        502: "The mail provider failed",
        503: "Database unavailable or the server overloaded; retry after Retry-After seconds",
    }.items()
}


def status_of(err: EscalationError) -> int:
    """The HTTP status of `err`: its code's, else the nearest base class's code's."""
    for cls in type(err).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return STATUS_BY_CODE["error"]


def error_response(err: EscalationError, *, headers: dict[str, str] | None = None) -> JSONResponse:
    """The `ErrorBody` response of `err` with its status (and the bearer challenge of a 401)."""
    if isinstance(err, Unauthorized):
        headers = {**bearer_challenge(err), **(headers or {})}
    return _SafeJSONResponse(err.to_dict(), status_code=status_of(err), headers=headers)


def retry_after_seconds(wait_seconds: float) -> int:
    """The Retry-After of a 503: the wait a request was given (ESCALATION_POOL_TIMEOUT_SECONDS), rounded up."""
    return max(1, math.ceil(wait_seconds))


def _retry_after(request: Request) -> dict[str, str]:
    return {"Retry-After": str(retry_after_seconds(request.app.state.settings.pool_timeout_seconds))}


async def _escalation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, EscalationError)
    return error_response(err, headers=_retry_after(request) if status_of(err) == 503 else None)


async def _database_error(request: Request, err: Exception) -> JSONResponse:
    return error_response(StoreUnavailable("system.database", detail=err.__class__.__name__),
                          headers=_retry_after(request))


async def _http_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    if err.status_code == 400:  # FastAPI could not read the body (e.g. not UTF-8): an invalid request
        return error_response(InvalidRequest("requests.not_json", detail=err.detail))
    if err.status_code == 413:
        return error_response(RequestTooLarge("requests.as_given", detail=err.detail))
    code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
    body = ErrorBody(error=ErrorDetail(code=code, message=str(err.detail)))
    return _SafeJSONResponse(body.model_dump(exclude_none=True), status_code=err.status_code, headers=getattr(err, "headers", None))


async def _unexpected_error(_: Request, err: Exception) -> JSONResponse:
    logger.error("unexpected error answering a request", exc_info=err)
    return error_response(_InternalError("requests.internal"))


async def _validation_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = "; ".join(input_problems(err.errors()))
    return error_response(InvalidRequest("requests.as_given", detail=problems))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure with an `ErrorBody` and the error's HTTP status, never a traceback."""
    app.add_exception_handler(EscalationError, _escalation_error)
    app.add_exception_handler(psycopg.OperationalError, _database_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
