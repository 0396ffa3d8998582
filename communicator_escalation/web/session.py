"""Request dependencies of the web UI: the cookie jar, the signed-in staff member, CSRF, and page rendering.

Every web router is made by `web_router()`, which checks the CSRF token of every request that is not
GET or HEAD before its route runs. A page needing a signed-in person takes `SignedInDep`: without a
live session a GET is sent to the sign-in page, anything else is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ..api.deps import StoreDep
from ..auth.tokens import Unauthorized
from ..auth.web_sessions import SignedIn, session_owner, signing_key
from ..errors import EscalationError
from ..models import StaffMember
from ..rendering import render
from .security import CSRF_FIELD, CSRF_HEADER, CookieJar, csrf_matches

__all__ = [
    "CookieJarDep",
    "CsrfRefused",
    "SignedInDep",
    "cookie_jar",
    "csrf_protect",
    "page",
    "signed_in",
    "web_router",
]

_SAFE_METHODS = frozenset({"GET", "HEAD"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(EscalationError):
    """A state-changing request without the CSRF token of the browser's session."""

    code = "forbidden"


def cookie_jar(request: Request, store: StoreDep) -> CookieJar:
    """The app's cookie jar, keyed with the database's signing key (read once per app)."""
    jar: CookieJar | None = getattr(request.app.state, "web_cookies", None)
    if jar is None:
        jar = CookieJar(signing_key(store))
        request.app.state.web_cookies = jar
    return jar


CookieJarDep = Annotated[CookieJar, Depends(cookie_jar)]


async def csrf_protect(request: Request, jar: CookieJarDep) -> None:
    """Refuse (403) a state-changing request whose CSRF token is missing or not the session's."""
    if request.method in _SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(jar.csrf_for(request), given):
        raise CsrfRefused("this form has expired or did not come from this site; reload the page and try again")


def web_router() -> APIRouter:
    """A router for web pages: no OpenAPI entries, CSRF checked on every state-changing request."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def signed_in(request: Request, store: StoreDep, jar: CookieJarDep) -> SignedIn:
    """The staff member of the browser's session.

    Raises:
        Unauthorized: No session cookie, a forged one, or an ended or expired session.
    """
    token = jar.session_token(request)
    if token is None:
        raise Unauthorized("sign in to continue")
    return session_owner(store, token=token)


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def page(request: Request, template: str, *, me: StaffMember | None, status_code: int = 200,
         csrf: str | None = None, **values: Any) -> HTMLResponse:
    """Render `prompts/web/<template>` with what every page shows (who is signed in, the CSRF token)."""
    jar: CookieJar | None = getattr(request.app.state, "web_cookies", None)
    token = csrf if csrf is not None else (jar.csrf_for(request) if jar is not None else None)
    html = render(f"web/{template}", me=me, csrf=token or "", path=request.url.path, **values)
    return HTMLResponse(html, status_code=status_code)
