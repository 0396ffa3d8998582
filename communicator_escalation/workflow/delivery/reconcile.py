"""Reconcile: settle sends whose outcome is unknown by asking the provider, before anything is resent.

A response is `unknown` after an ambiguous provider answer (timeout, dropped connection), and a
`sending` row whose claim is older than `stale_after` was interrupted (crash). `Mailer.draft_status`
decides: a sent draft is gone and its Message-ID is in the sent mail (-> `sent`, with tracking,
timed at the last send attempt); a draft still there was not delivered (-> `failed`, same draft
reused by the next send); neither (-> `failed`, a new draft next time).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from ...errors import MailError
from ...mail.base import Mailer
from ...store import Store
from ...store.responses import load_response, utcnow
from ..policy import Policy
from ._attempts import finish_attempt, settle, start_attempt
from .tracking import record_sent

__all__ = ["RECONCILE_ACTOR", "ReconcileResult", "reconcile", "reconcile_response"]

RECONCILE_ACTOR = "system:reconcile"


class ReconcileResult(BaseModel):
    """How one `unknown` or stale `sending` response was settled."""

    response_id: str = Field(description="Response id.")
    before: str = Field(description="State before.")
    after: str = Field(description="State after: sent, failed, or still unknown.")
    detail: str = Field(description="What the provider said.")


def reconcile_response(store: Store, *, response_id: str, mailer: Mailer, policy: Policy, now: datetime | None,
                       stale_before: datetime | None) -> ReconcileResult | None:
    """Settle one response if it is `unknown` (or `sending` claimed before `stale_before`); None otherwise."""
    with store.connection() as conn:
        row = load_response(conn, response_id)
    before = row["status"]
    settleable = before == "unknown" or (
        before == "sending" and stale_before is not None and row["claimed_at"] is not None
        and row["claimed_at"] < stale_before
    )
    if not settleable:
        return None
    if row["provider_draft_id"] is None:
        detail = "interrupted before the message reached the provider; nothing was sent"
        settle(store, response_id, "failed", error=detail, actor=RECONCILE_ACTOR, now=utcnow(now))
        return ReconcileResult(response_id=response_id, before=before, after="failed", detail=detail)
    attempt_id, _ = start_attempt(store, response_id, step="draft_status", transport=mailer.name, now=utcnow(now))
    try:
        state, receipt = mailer.draft_status(row["provider_draft_id"], row["message_id"])
    except MailError as err:
        finish_attempt(store, attempt_id, step="draft_status", outcome="error", error=err, now=utcnow(now))
        return ReconcileResult(response_id=response_id, before=before, after=before,
                               detail=f"provider could not tell: {err.message}")
    if state == "sent" and receipt is not None:
        finish_attempt(store, attempt_id, step="draft_status", outcome="sent", now=utcnow(now))
        with store.connection() as conn:
            started = conn.execute(
                "SELECT max(started_at) AS at FROM send_attempts WHERE response_id = %s AND step = 'send_draft'",
                (response_id,),
            ).fetchone()["at"]
        with store.transaction() as conn:
            locked = load_response(conn, response_id, lock=True)
            if locked["status"] in ("sending", "unknown"):
                locked["status"] = "unknown"
                record_sent(conn, row=locked, receipt=receipt, sent_at=started or utcnow(now),
                            actor=RECONCILE_ACTOR, policy=policy)
        return ReconcileResult(response_id=response_id, before=before, after="sent",
                               detail=f"delivered as {receipt.email_id}")
    finish_attempt(store, attempt_id, step="draft_status", outcome="not_sent", now=utcnow(now))
    if state == "draft":
        detail = "the provider still holds the draft: it was not delivered; send again to deliver it"
        settle(store, response_id, "failed", error=detail, actor=RECONCILE_ACTOR, now=utcnow(now))
    else:
        detail = "the provider has neither the draft nor a sent message with its Message-ID; send again to redo it"
        settle(store, response_id, "failed", error=detail, actor=RECONCILE_ACTOR, now=utcnow(now), forget_draft=True)
    return ReconcileResult(response_id=response_id, before=before, after="failed", detail=detail)


def reconcile(store: Store, *, mailer: Mailer, policy: Policy | None = None,
              stale_after: timedelta = timedelta(minutes=15), now: datetime | None = None) -> list[ReconcileResult]:
    """Settle every `unknown` response, and every `sending` one claimed longer than `stale_after` ago.

    A response whose provider draft is gone and whose Message-ID is in the sent mail becomes `sent`
    (with its tracking); one whose draft is still there becomes `failed` (not delivered, send again).
    """
    policy = policy or Policy()
    stale_before = utcnow(now) - stale_after
    with store.connection() as conn:
        ids = [r["id"] for r in conn.execute(
            "SELECT id FROM escalation_responses WHERE status = 'unknown'"
            " OR (status = 'sending' AND claimed_at < %s) ORDER BY updated_at, id",
            (stale_before,),
        )]
    results = []
    for response_id in ids:
        result = reconcile_response(store, response_id=response_id, mailer=mailer, policy=policy, now=now,
                                stale_before=stale_before)
        if result is not None:
            results.append(result)
    return results
