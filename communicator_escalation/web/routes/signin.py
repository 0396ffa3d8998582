"""Sign-in and sign-out: an access token on /login, or a one-time sign-in link; sign-out ends the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...api.deps import SettingsDep, StoreDep
from ...auth.tokens import Unauthorized
from ...auth.web_sessions import WebSession, end_session, sign_in_with_access_token, sign_in_with_link
from ..forms import CsrfForm, LinkCode, LinkForm, LoginForm, LocalPath
from ..security import CookieJar
from ..session import CookieJarDep, page, web_router

router = web_router()


def _signed_in_response(request: Request, jar: CookieJar, session: WebSession, target: str, *, hours: float) -> Response:
    response = RedirectResponse(target, status_code=303)
    jar.set_session(request, response, session.token, max_age=int(hours * 3600))
    return response


def _sign_in_page(request: Request, jar: CookieJar, template: str, *, status_code: int = 200, **values: object) -> HTMLResponse:
    csrf, new_cookie = jar.pre_session(request)
    response = page(request, template, me=None, csrf=csrf, status_code=status_code, **values)
    if new_cookie is not None:
        jar.set_pre_session(request, response, new_cookie)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, jar: CookieJarDep, next: LocalPath = "/") -> HTMLResponse:
    """The sign-in form: an access token from `escalation token create --staff ID`."""
    return _sign_in_page(request, jar, "login.html.j2", next=next, error=None)


@router.post("/login")
def login(request: Request, store: StoreDep, settings: SettingsDep, jar: CookieJarDep,
          form: Annotated[LoginForm, Form()]) -> Response:
    """Start a session for the access token's staff member; a wrong token shows the form again (401)."""
    hours = settings.web_session_hours
    try:
        session = sign_in_with_access_token(store, token=form.access_token, hours=hours)
    except Unauthorized as err:
        return _sign_in_page(request, jar, "login.html.j2", status_code=401, next=form.next, error=err.message)
    return _signed_in_response(request, jar, session, form.next, hours=hours)


@router.get("/login/link", response_class=HTMLResponse)
def link_page(request: Request, jar: CookieJarDep, code: LinkCode) -> HTMLResponse:
    """A one-time sign-in link's page: one button signs in (a link preview or scanner cannot use it up)."""
    return _sign_in_page(request, jar, "sign_in_link.html.j2", code=code)


@router.post("/login/link")
def link_sign_in(request: Request, store: StoreDep, settings: SettingsDep, jar: CookieJarDep,
                 form: Annotated[LinkForm, Form()]) -> Response:
    """Use the link's code (once) and start a session."""
    hours = settings.web_session_hours
    session = sign_in_with_link(store, code=form.code, hours=hours)
    return _signed_in_response(request, jar, session, "/", hours=hours)


@router.post("/logout")
def logout(request: Request, store: StoreDep, jar: CookieJarDep, form: Annotated[CsrfForm, Form()]) -> Response:
    """End the session on the server and remove its cookie."""
    token = jar.session_token(request)
    if token is not None:
        end_session(store, token=token)
    response = RedirectResponse("/login", status_code=303)
    jar.clear_session(response)
    return response
