"""SQL of send leases (migration 0041): who is sending a response, since when, until when.

A lease is opened when a response is claimed for sending (or taken over by reconcile) and the
response row points at it (`escalation_responses.lease_id`). Every change to a lease happens under
the response row's lock, so "is this lease still the current one?" and "take it over" never race.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from .responses import Conn, Row, content_of, hash_content, load_response

__all__ = [
    "Attempt",
    "Lease",
    "LeaseOutcome",
    "current_lease",
    "delivering_lease",
    "end_lease",
    "lease_owner",
    "lock_if_current",
    "open_lease",
    "reclaimable_at",
    "renew_lease",
]

LeaseOutcome = Literal["sent", "failed", "unknown", "taken_over", "fenced"]


class Attempt(BaseModel):
    """Who runs a send attempt, since when, and its last sign of life."""

    owner: str = Field(description="Process running it: host/pid/thread.")
    actor: str = Field(description="Who started it: a staff id or a system actor (e.g. system:reconcile).")
    started_at: datetime = Field(description="When the attempt started.")
    heartbeat_at: datetime = Field(description="Its last sign of life.")


class Lease(Attempt):
    """One send attempt's claim on a response."""

    id: str = Field(description="Lease id (the attempt's fencing token).")
    response_id: str = Field(description="The response being sent.")
    message_id: str = Field(description="Message-ID of the response (the same for every attempt).")
    content_hash: str = Field(description="sha256 of the To, CC, subject and body this attempt carries.")
    content: dict[str, Any] = Field(description="That exact To, CC, subject and body.")
    provider_draft_id: str | None = Field(default=None, description="The provider draft this attempt created.")
    expires_at: datetime = Field(description="When it may be taken over unless renewed.")
    ended_at: datetime | None = Field(default=None, description="When it ended.")
    outcome: LeaseOutcome | None = Field(default=None, description="How it ended.")
    taken_over_by: str | None = Field(default=None, description="The lease that took it over.")


def lease_owner() -> str:
    """This process and thread, as operators see it: host/pid/thread."""
    return f"{socket.gethostname()}/{os.getpid()}/{threading.current_thread().name}"


def open_lease(conn: Conn, *, row: Row, actor: str, message_id: str, now: datetime, ttl: timedelta,
               content: dict[str, Any] | None = None) -> Lease:
    """Open a lease on a locked response row (inside the caller's transaction) and make it current.

    `content` defaults to the row's; a takeover passes the content of the attempt it takes over.
    """
    content = content or content_of(row)
    digest = hash_content(content)
    found = conn.execute(
        "INSERT INTO send_leases (id, response_id, owner, actor, message_id, content_hash, content, started_at,"
        " heartbeat_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
        (f"lease-{secrets.token_hex(6)}", row["id"], lease_owner(), actor, message_id, digest, Jsonb(content), now,
         now, now + ttl),
    ).fetchone()
    conn.execute("UPDATE escalation_responses SET lease_id = %s WHERE id = %s", (found["id"], row["id"]))
    row["lease_id"] = found["id"]
    return Lease(**found)


def current_lease(conn: Conn, response_id: str, *, lock: bool = False) -> Lease | None:
    """The lease the response row points at (ended or not), or None."""
    found = conn.execute(
        "SELECT l.* FROM escalation_responses r JOIN send_leases l ON l.id = r.lease_id WHERE r.id = %s"
        + (" FOR UPDATE OF l" if lock else ""),
        (response_id,),
    ).fetchone()
    return Lease(**found) if found else None


def lock_if_current(conn: Conn, lease: Lease) -> Row | None:
    """Lock the response row; return it when `lease` is still its current, open lease, else None."""
    row = load_response(conn, lease.response_id, lock=True)
    if row["lease_id"] != lease.id:
        return None
    found = conn.execute("SELECT ended_at FROM send_leases WHERE id = %s FOR UPDATE", (lease.id,)).fetchone()
    return row if found["ended_at"] is None else None


def renew_lease(conn: Conn, lease_id: str, *, now: datetime, ttl: timedelta, draft_id: str | None = None) -> None:
    """Heartbeat (and record the attempt's provider draft) on a lease the caller holds locked and current."""
    conn.execute(
        "UPDATE send_leases SET heartbeat_at = %s, expires_at = %s,"
        " provider_draft_id = coalesce(%s, provider_draft_id) WHERE id = %s",
        (now, now + ttl, draft_id, lease_id),
    )


def end_lease(conn: Conn, lease_id: str, outcome: LeaseOutcome, *, now: datetime, by: str | None = None) -> None:
    """End a lease (once; a second end keeps the first outcome)."""
    conn.execute(
        "UPDATE send_leases SET ended_at = %s, outcome = %s, taken_over_by = %s WHERE id = %s AND ended_at IS NULL",
        (now, outcome, by, lease_id),
    )


def delivering_lease(conn: Conn, response_id: str) -> Lease | None:
    """The latest attempt of the response that created a provider draft: the only one whose message can
    have gone out (every earlier attempt's drafts were deleted before a new one was created)."""
    found = conn.execute(
        "SELECT * FROM send_leases WHERE response_id = %s AND provider_draft_id IS NOT NULL"
        " ORDER BY started_at DESC, id DESC LIMIT 1",
        (response_id,),
    ).fetchone()
    return Lease(**found) if found else None


def reclaimable_at(lease: Lease, *, stale_after: timedelta | None = None) -> datetime:
    """When an open lease may be taken over: at its expiry, or later when `stale_after` asks for a
    longer silence since the last heartbeat (never earlier than the expiry)."""
    if stale_after is None:
        return lease.expires_at
    return max(lease.expires_at, lease.heartbeat_at + stale_after)
