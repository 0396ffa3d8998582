"""API bearer tokens: issue, verify, list and revoke. Only a sha256 of a token is ever stored.

A token reads ``esc_<43 url-safe characters>`` (256 random bits). It is shown once, when issued;
the database keeps its hash, the staff member it acts as, and when it was created, last used and
revoked. Revoking takes the token itself or its public id (``tok_...``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ..errors import EscalationError, NotFound
from ..models import StaffMember
from ..utc import utcnow
from ..store import Store

__all__ = [
    "IssuedToken",
    "TokenInfo",
    "Unauthorized",
    "bearer_challenge",
    "create_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
    "verify_token",
]

TOKEN_PREFIX = "esc_"
_ID_PREFIX = "tok_"
_STAFF_COLUMNS = "s.id, s.name, s.email, s.role, s.title, s.phone, s.timezone, s.manager_id"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_TOUCH_AFTER_SECONDS = 60


class Unauthorized(EscalationError):
    """No token, an unknown token, or a revoked one (`invalid_token` when a token was given)."""

    code = "unauthorized"

    def __init__(self, reason: str, /, *, invalid_token: bool = False, **facts: Any) -> None:
        super().__init__(reason, **facts)
        self.invalid_token = invalid_token


def bearer_challenge(err: Unauthorized) -> dict[str, str]:
    """The RFC 6750 `WWW-Authenticate` header every HTTP door answers an `Unauthorized` with."""
    return {"WWW-Authenticate": 'Bearer realm="escalation"' + (', error="invalid_token"' if err.invalid_token else "")}


class TokenInfo(BaseModel):
    """A token as listed: never the token itself."""

    id: str = Field(description="Public token id (tok_...), used to revoke it.")
    staff_id: str = Field(description="Staff member the token acts as.")
    label: str | None = Field(default=None, description="Free text saying what the token is for.")
    created_at: datetime = Field(description="When it was issued.")
    last_used_at: datetime | None = Field(default=None, description="Last successful use (to the minute).")
    revoked_at: datetime | None = Field(default=None, description="When it was revoked; null while valid.")


class IssuedToken(TokenInfo):
    """A newly issued token; `token` is shown this once and never stored."""

    token: str = Field(description="The bearer token (esc_...). Store it now: it cannot be shown again.")


def hash_token(token: str) -> str:
    """sha256 hex digest of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: Store, *, staff_id: str, label: str | None = None, now: datetime | None = None) -> IssuedToken:
    """Issue a token acting as `staff_id`.

    Raises:
        NotFound: No such staff member.
    """
    now = utcnow(now)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = _ID_PREFIX + secrets.token_hex(6)
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM staff WHERE id = %s", (staff_id,)).fetchone() is None:
            raise NotFound("access.no_staff", staff_id=staff_id)
        conn.execute(
            "INSERT INTO api_tokens (id, token_hash, staff_id, label, created_at) VALUES (%s, %s, %s, %s, %s)",
            (token_id, hash_token(token), staff_id, label, now),
        )
    return IssuedToken(id=token_id, staff_id=staff_id, label=label, created_at=now, token=token)


def verify_token(store: Store, *, token: str | None, now: datetime | None = None) -> StaffMember:
    """The staff member a bearer token acts as.

    Raises:
        Unauthorized: Missing, unknown or revoked token (unknown and revoked read the same, so nothing leaks).
    """
    if not token:
        raise Unauthorized("access.no_token")
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthorized("access.bad_token", invalid_token=True)
    now = utcnow(now)
    with store.connection() as conn:
        row: dict[str, Any] | None = conn.execute(
            f"SELECT t.id AS token_id, t.last_used_at, {_STAFF_COLUMNS} FROM api_tokens t"
            " JOIN staff s ON s.id = t.staff_id WHERE t.token_hash = %s AND t.revoked_at IS NULL",
            (hash_token(token),),
        ).fetchone()
        if row is None:
            raise Unauthorized("access.bad_token", invalid_token=True)
        last = row.pop("last_used_at")
        token_id = row.pop("token_id")
        if last is None or (now - last).total_seconds() >= _TOUCH_AFTER_SECONDS:
            conn.execute("UPDATE api_tokens SET last_used_at = %s WHERE id = %s", (now, token_id))
    return StaffMember(**row)


def revoke_token(store: Store, *, token_or_id: str, now: datetime | None = None) -> TokenInfo:
    """Revoke a token given itself or its id; revoking twice keeps the first revocation time.

    Raises:
        NotFound: No such token.
    """
    now = utcnow(now)
    with store.transaction() as conn:
        row = conn.execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, %s) WHERE id = %s OR token_hash = %s"
            " RETURNING id, staff_id, label, created_at, last_used_at, revoked_at",
            (now, token_or_id, hash_token(token_or_id)),
        ).fetchone()
    if row is None:
        raise NotFound("access.no_such_token")
    return TokenInfo(**row)


def list_tokens(store: Store, *, staff_id: str | None = None) -> list[TokenInfo]:
    """Issued tokens (newest first), optionally of one staff member."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT id, staff_id, label, created_at, last_used_at, revoked_at FROM api_tokens"
            " WHERE %(staff)s::text IS NULL OR staff_id = %(staff)s ORDER BY created_at DESC, id",
            {"staff": staff_id},
        ).fetchall()
    return [TokenInfo(**row) for row in rows]
