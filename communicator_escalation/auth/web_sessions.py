"""Web UI sign-in: one-time sign-in links, browser sessions, and the key that signs their cookies.

A sign-in link's code and a session's token are 256 random bits, shown once; only their sha256 is
stored. A link signs in once, before it expires; a session lasts until it expires or its owner signs
out. Signing in with an API access token checks it as the API does (`verify_token`). The signing key
is made by the first process that needs it and kept in the database, so every `escalation serve`
process on one PostgreSQL accepts the cookies the others set.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import NotFound
from ..models import StaffMember
from ..store import Store
from ..utc import utcnow
from .tokens import Unauthorized, hash_token, verify_token

__all__ = [
    "SignInLink",
    "SignedIn",
    "WebSession",
    "end_session",
    "issue_sign_in_link",
    "session_owner",
    "sign_in_with_access_token",
    "sign_in_with_link",
    "sign_in_url",
    "signing_key",
]

SignInMethod = Literal["access_token", "sign_in_link"]
_STAFF_COLUMNS = "s.id, s.name, s.email, s.role, s.title, s.phone, s.timezone, s.manager_id"


class SignInLink(BaseModel):
    """A one-time sign-in code; `code` is shown this once and never stored."""

    code: str = Field(description="The one-time code the sign-in link carries.")
    staff_id: str = Field(description="Who it signs in.")
    expires_at: datetime = Field(description="After this it signs nobody in.")


class WebSession(BaseModel):
    """A browser session just started; `token` goes into the signed cookie and is never stored."""

    id: str = Field(description="Public session id (CSRF tokens are derived from it).")
    token: str = Field(description="The session's secret, carried by the cookie.")
    staff_id: str = Field(description="Who is signed in.")
    expires_at: datetime = Field(description="When the session ends by itself.")


class SignedIn(BaseModel):
    """The staff member behind a live session."""

    session_id: str = Field(description="Public session id.")
    staff: StaffMember = Field(description="The signed-in staff member.")


def signing_key(store: Store) -> str:
    """The database's cookie-signing key, made on first use (the same for every process)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO web_signing_key (secret) VALUES (%s) ON CONFLICT (id) DO NOTHING", (secrets.token_urlsafe(48),)
        )
        row: dict[str, Any] = conn.execute("SELECT secret FROM web_signing_key").fetchone()  # type: ignore[assignment]
    return str(row["secret"])


def issue_sign_in_link(store: Store, *, staff_id: str, minutes: float, now: datetime | None = None) -> SignInLink:
    """A one-time sign-in code for `staff_id`, valid for `minutes`.

    Raises:
        NotFound: No such staff member.
    """
    now = utcnow(now)
    code = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=minutes)
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM staff WHERE id = %s", (staff_id,)).fetchone() is None:
            raise NotFound("access.no_staff", staff_id=staff_id)
        conn.execute(
            "INSERT INTO web_sign_in_links (code_hash, staff_id, created_at, expires_at) VALUES (%s, %s, %s, %s)",
            (hash_token(code), staff_id, now, expires),
        )
    return SignInLink(code=code, staff_id=staff_id, expires_at=expires)


def sign_in_url(base_url: str, code: str) -> str:
    """The sign-in link of `code` on the web UI at `base_url` (e.g. http://127.0.0.1:8000)."""
    return f"{base_url.rstrip('/')}/login/link?code={code}"


def _start(conn: Any, *, staff_id: str, hours: float, method: SignInMethod, now: datetime) -> WebSession:
    token = secrets.token_urlsafe(32)
    session = WebSession(id="ws_" + secrets.token_hex(8), token=token, staff_id=staff_id,
                         expires_at=now + timedelta(hours=hours))
    conn.execute(
        "INSERT INTO web_sessions (id, token_hash, staff_id, signed_in_by, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (session.id, hash_token(token), staff_id, method, now, session.expires_at),
    )
    return session


def sign_in_with_link(store: Store, *, code: str, hours: float, now: datetime | None = None) -> WebSession:
    """Use a sign-in link's code (once) and start a session for its staff member.

    Raises:
        Unauthorized: Unknown, used or expired code (all read the same).
    """
    now = utcnow(now)
    with store.transaction() as conn:
        row = conn.execute(
            "UPDATE web_sign_in_links SET used_at = %s WHERE code_hash = %s AND used_at IS NULL AND expires_at > %s"
            " RETURNING staff_id",
            (now, hash_token(code), now),
        ).fetchone()
        if row is None:
            raise Unauthorized("access.bad_sign_in_link", invalid_token=True)
        return _start(conn, staff_id=row["staff_id"], hours=hours, method="sign_in_link", now=now)


def sign_in_with_access_token(store: Store, *, token: str, hours: float, now: datetime | None = None) -> WebSession:
    """Start a session for the staff member an API access token acts as.

    Raises:
        Unauthorized: Missing, unknown or revoked token.
    """
    staff = verify_token(store, token=token.strip(), now=now)
    with store.transaction() as conn:
        return _start(conn, staff_id=staff.id, hours=hours, method="access_token", now=utcnow(now))


def session_owner(store: Store, *, token: str, now: datetime | None = None) -> SignedIn:
    """The staff member of a live session.

    Raises:
        Unauthorized: Unknown, ended or expired session.
    """
    with store.connection() as conn:
        row = conn.execute(
            f"SELECT w.id AS session_id, {_STAFF_COLUMNS} FROM web_sessions w JOIN staff s ON s.id = w.staff_id"
            " WHERE w.token_hash = %s AND w.ended_at IS NULL AND w.expires_at > %s",
            (hash_token(token), utcnow(now)),
        ).fetchone()
    if row is None:
        raise Unauthorized("access.session_ended")
    session_id = row.pop("session_id")
    return SignedIn(session_id=session_id, staff=StaffMember(**row))


def end_session(store: Store, *, token: str, now: datetime | None = None) -> None:
    """Sign out: the session's cookie is refused from now on (ending it twice changes nothing)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE web_sessions SET ended_at = COALESCE(ended_at, %s) WHERE token_hash = %s",
            (utcnow(now), hash_token(token)),
        )
