"""Bearer-token authentication of the MCP HTTP transport (a Starlette authentication backend)."""

from __future__ import annotations

import asyncio

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, SimpleUser
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from ..store import Store
from ..auth.tokens import Unauthorized, bearer_challenge, verify_token

__all__ = ["BearerTokens", "on_auth_error"]


class _Refused(AuthenticationError):
    def __init__(self, err: Unauthorized) -> None:
        super().__init__(err.message)
        self.error = err


class BearerTokens(AuthenticationBackend):
    """`Authorization: Bearer <token>` from `escalation token create`; the user is the staff member (401 otherwise)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
        """The token's staff member, as the request's user (username = staff id)."""
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        try:
            staff = await asyncio.to_thread(
                verify_token, self.store, token=token.strip() if scheme.lower() == "bearer" else None
            )
        except Unauthorized as err:
            raise _Refused(err) from err
        return AuthCredentials(["authenticated"]), SimpleUser(staff.id)


def on_auth_error(conn: HTTPConnection, exc: AuthenticationError) -> JSONResponse:
    """401 with the error body the HTTP API uses and the RFC 6750 challenge."""
    error = exc.error if isinstance(exc, _Refused) else Unauthorized("requests.as_given", detail=str(exc))
    return JSONResponse(error.to_dict(), status_code=401, headers=bearer_challenge(error))
