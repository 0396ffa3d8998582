"""Bookkeeping of delivery attempts under a lease (used by delivering, fencing and reconcile).

Every step of an attempt starts with `start_attempt`, which is both the heartbeat and the fence
check: it renews the lease only while the lease is the response's current, open one, and raises
`LeaseLost` otherwise, before anything is asked of the provider.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from ...errors import MailError
from ...store import Store
from ...store.leases import Lease, end_lease, lock_if_current, renew_lease
from ...store.responses import set_status

__all__ = ["LeaseLost", "finish_attempt", "record_draft", "settle", "start_attempt"]


class LeaseLost(Exception):
    """The attempt's lease is no longer the response's current one: it was taken over or ended."""


def start_attempt(store: Store, lease: Lease, *, step: str, transport: str, now: datetime, ttl: timedelta) -> int:
    """Renew the lease and open a `send_attempts` row for one step; returns the attempt row id.

    Raises:
        LeaseLost: The lease was taken over (or ended); nothing was written.
    """
    with store.transaction() as conn:
        if lock_if_current(conn, lease) is None:
            raise LeaseLost(lease.id)
        renew_lease(conn, lease.id, now=now, ttl=ttl)
        found = conn.execute(
            "UPDATE escalation_responses SET attempts = attempts + 1 WHERE id = %s RETURNING attempts",
            (lease.response_id,),
        ).fetchone()
        attempt = conn.execute(
            "INSERT INTO send_attempts (response_id, attempt, transport, step, started_at, lease_id)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (lease.response_id, found["attempts"], transport, step, now, lease.id),
        ).fetchone()
    return int(attempt["id"])


def finish_attempt(store: Store, attempt_id: int, *, step: str, outcome: str, now: datetime,
                   error: MailError | None = None, delay: float | None = None) -> None:
    """Close an attempt row with its outcome, error, status code, Retry-After and the delay chosen."""
    with store.connection() as conn:
        conn.execute(
            "UPDATE send_attempts SET step = %s, outcome = %s, finished_at = %s, error = %s, status_code = %s,"
            " retry_after_seconds = %s, delay_seconds = %s WHERE id = %s",
            (step, outcome, now, error.message if error else None, getattr(error, "status", None),
             getattr(error, "retry_after", None), delay, attempt_id),
        )


def record_draft(store: Store, lease: Lease, draft_id: str, *, now: datetime, ttl: timedelta) -> bool:
    """Record the provider draft of the attempt, only while its lease is current (False: it was taken over)."""
    with store.transaction() as conn:
        if lock_if_current(conn, lease) is None:
            return False
        renew_lease(conn, lease.id, now=now, ttl=ttl, draft_id=draft_id)
        conn.execute("UPDATE escalation_responses SET provider_draft_id = %s WHERE id = %s",
                     (draft_id, lease.response_id))
    lease.provider_draft_id = draft_id
    return True


def settle(store: Store, lease: Lease, status: Literal["failed", "unknown"], *, error: str, actor: str,
           now: datetime, forget_draft: bool = False) -> None:
    """End the attempt as failed (nothing delivered) or unknown, while its lease is current.

    Raises:
        LeaseLost: The lease was taken over meanwhile; nothing was written.
    """
    with store.transaction() as conn:
        row = lock_if_current(conn, lease)
        if row is None:
            raise LeaseLost(lease.id)
        conn.execute(
            "UPDATE escalation_responses SET last_error = %s, provider_draft_id = CASE WHEN %s THEN NULL"
            " ELSE provider_draft_id END WHERE id = %s",
            (error, forget_draft, lease.response_id),
        )
        end_lease(conn, lease.id, status, now=now)
        if row["status"] != status:
            set_status(conn, row, status, actor=actor, now=now, detail={"error": error, "lease_id": lease.id})
