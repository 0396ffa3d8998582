"""The browser's side of safety: signed cookies, CSRF tokens, and the headers every page is sent with.

- The session cookie carries the session's secret token, signed (itsdangerous) with the database's
  key; it is HttpOnly, SameSite=Strict, Secure over HTTPS, and scoped to the whole site. A cookie that
  fails its signature is not even looked up.
- A CSRF token is an HMAC of the session token (before sign-in: of a random pre-session nonce kept in
  its own signed cookie). Every state-changing request must carry it, as the form field `csrf_token`
  or the `X-CSRF-Token` header; it reveals nothing about the session token.
- Pages get a strict Content-Security-Policy (scripts, styles, images and fetches from this origin
  only; no inline script or style, no framing, forms post only here), no caching, no referrer (a
  sign-in link carries its code in the URL), and `nosniff`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PRE_SESSION_COOKIE",
    "SESSION_COOKIE",
    "CookieJar",
    "SecurityHeaders",
    "csrf_matches",
]

SESSION_COOKIE = "esc_session"
PRE_SESSION_COOKIE = "esc_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class CookieJar:
    """Reads and writes the web UI's signed cookies, and derives CSRF tokens, with one key."""

    def __init__(self, key: str) -> None:
        self._key = key.encode("utf-8")
        self._session = URLSafeSerializer(key, salt="escalation-web-session")
        self._pre = URLSafeSerializer(key, salt="escalation-web-pre-session")

    def _read(self, serializer: URLSafeSerializer, value: str | None) -> str | None:
        if not value:
            return None
        try:
            loaded = serializer.loads(value)
        except BadSignature:
            return None
        return loaded if isinstance(loaded, str) else None

    def session_token(self, request: Request) -> str | None:
        """The session token of a correctly signed session cookie, else None."""
        return self._read(self._session, request.cookies.get(SESSION_COOKIE))

    def pre_session_nonce(self, request: Request) -> str | None:
        """The nonce of a correctly signed pre-session cookie, else None."""
        return self._read(self._pre, request.cookies.get(PRE_SESSION_COOKIE))

    def _token(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_for(self, request: Request) -> str | None:
        """The CSRF token the request's cookies call for: the session's, else the pre-session's, else None."""
        token = self.session_token(request)
        if token is not None:
            return self._token("csrf", token)
        nonce = self.pre_session_nonce(request)
        return self._token("pre-csrf", nonce) if nonce is not None else None

    def pre_session(self, request: Request) -> tuple[str, str | None]:
        """The pre-session CSRF token, and a new pre-session cookie value when the request has none."""
        nonce = self.pre_session_nonce(request)
        if nonce is not None:
            return self._token("pre-csrf", nonce), None
        nonce = secrets.token_urlsafe(24)
        return self._token("pre-csrf", nonce), self._pre.dumps(nonce)

    def set_pre_session(self, request: Request, response: Response, value: str) -> None:
        """Set the pre-session cookie `pre_session` asked for (it lasts an hour)."""
        self._set(request, response, PRE_SESSION_COOKIE, value, max_age=3600)

    def set_session(self, request: Request, response: Response, token: str, *, max_age: int) -> None:
        """Put a new session's token in the session cookie and drop the pre-session cookie."""
        self._set(request, response, SESSION_COOKIE, self._session.dumps(token), max_age=max_age)
        response.delete_cookie(PRE_SESSION_COOKIE, path="/", httponly=True, samesite="strict")

    @staticmethod
    def clear_session(response: Response) -> None:
        """Remove the session cookie from the browser."""
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")

    @staticmethod
    def _set(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """True when a CSRF token was expected and the request carries exactly it (constant-time)."""
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


class SecurityHeaders:
    """ASGI middleware adding the page headers to every response outside the JSON API and its docs."""

    def __init__(self, app: ASGIApp, *, api_paths: tuple[str, ...]) -> None:
        self.app = app
        self.api_paths = api_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith(self.api_paths):
            await self.app(scope, receive, send)
            return
        static = path.startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _PAGE_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
