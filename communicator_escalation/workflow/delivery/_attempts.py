"""Bookkeeping of delivery attempts and of the settled states of a send (used by sending and reconcile)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ...errors import MailError
from ...mail.base import SendReceipt
from ...store import Store
from ...store.responses import load_response, set_status
from ..policy import Policy
from .tracking import record_sent

__all__ = ["finish_attempt", "mark_sent", "settle", "start_attempt"]


def start_attempt(store: Store, response_id: str, *, step: str, transport: str, now: datetime) -> tuple[int, int]:
    """Count an attempt on the response and open its `send_attempts` row; returns (row id, attempt number)."""
    with store.connection() as conn:
        found = conn.execute(
            "UPDATE escalation_responses SET attempts = attempts + 1 WHERE id = %s RETURNING attempts", (response_id,)
        ).fetchone()
        attempt = conn.execute(
            "INSERT INTO send_attempts (response_id, attempt, transport, step, started_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (response_id, found["attempts"], transport, step, now),
        ).fetchone()
    return int(attempt["id"]), int(found["attempts"])


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


def settle(store: Store, response_id: str, status: Literal["failed", "unknown"], *, error: str, actor: str,
            now: datetime, forget_draft: bool = False) -> None:
    """Move a `sending`/`unknown` row to failed or unknown with the error (conditional on its state)."""
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        if row["status"] not in ("sending", "unknown"):
            return
        conn.execute(
            "UPDATE escalation_responses SET last_error = %s, provider_draft_id = CASE WHEN %s THEN NULL"
            " ELSE provider_draft_id END, message_id = CASE WHEN %s THEN NULL ELSE message_id END WHERE id = %s",
            (error, forget_draft, forget_draft, response_id),
        )
        set_status(conn, row, status, actor=actor, now=now, detail={"error": error})


def mark_sent(store: Store, response_id: str, receipt: SendReceipt, *, sent_at: datetime, actor: str,
               policy: Policy) -> None:
    """Record delivery (tracking included) in one transaction."""
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        record_sent(conn, row=row, receipt=receipt, sent_at=sent_at, actor=actor, policy=policy)
