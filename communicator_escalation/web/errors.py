"""Errors on web pages: the same codes and statuses as the API, shown as a page instead of JSON.

`install_page_errors` wraps each error handler the API installed: a request to the JSON API (or its
docs) still gets the API's answer; a page request gets an HTML page with the same status and message,
never a traceback. A page that needs a session sends a browser without one to the sign-in page.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from ..api.errors import status_of
from ..auth.tokens import Unauthorized
from ..errors import EscalationError
from .session import page

__all__ = ["install_page_errors"]

logger = logging.getLogger(__name__)
Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

_HTTP_TITLES = {404: "Not found", 405: "Not allowed", 413: "Too large"}


def _status_and_message(err: Exception) -> tuple[int, str]:
    if isinstance(err, EscalationError):
        return status_of(err), err.message
    if isinstance(err, StarletteHTTPException):
        return err.status_code, str(err.detail)
    if isinstance(err, RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in err.errors())
        return 422, problems
    if isinstance(err, psycopg.OperationalError):
        return 503, "the database is unavailable; try again in a moment"
    logger.error("unexpected error answering a page", exc_info=err)
    return 500, "something went wrong on our side; see the server log"


def _page_error(request: Request, err: Exception) -> Response:
    if isinstance(err, Unauthorized) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    status, message = _status_and_message(err)
    title = _HTTP_TITLES.get(status, "Not found" if status == 404 else "Something stopped this")
    return page(request, "error.html.j2", me=None, status_code=status, title=title, message=message,
                signed_out=isinstance(err, Unauthorized))


def install_page_errors(app: FastAPI, *, api_paths: tuple[str, ...]) -> None:
    """Answer page requests' errors with an HTML page; leave the API's answers as they are."""
    for error_class, api_handler in list(app.exception_handlers.items()):
        if isinstance(error_class, int):
            continue

        async def either(request: Request, err: Exception, api_handler: Handler = api_handler) -> Response:
            if not request.url.path.startswith(api_paths):
                return _page_error(request, err)
            answer = api_handler(request, err)
            return await answer if inspect.isawaitable(answer) else answer

        app.add_exception_handler(error_class, either)
