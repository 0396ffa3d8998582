"""Reconcile: settle sends whose outcome is unknown or whose attempt stopped, by asking the provider.

A response is `unknown` after an ambiguous provider answer (timeout, dropped connection), and a
`sending` one whose attempt's lease expired was interrupted (crash, a process suspended longer
than the lease). Reconcile takes over only such an attempt: it opens a lease of its own (the old
attempt can then record nothing as current and send nothing more), deletes the unsent drafts of the
response's Message-ID and asks the provider whether it was delivered (`fencing.ask_provider`):
delivered -> `sent`, with tracking, timed at the last send call and with the content that went out;
not delivered -> `failed` (send again); the provider cannot tell -> `unknown` (reconcile again).
A live attempt is never taken over: `in_flight` says since when it runs and when it becomes reclaimable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ...config import Settings
from ...errors import MailError
from ...mail.base import Mailer
from ...rendering import render
from ...store import Store
from ...store.leases import Attempt, Lease, current_lease, end_lease, open_lease, reclaimable_at
from ...store.responses import RESPONSE_ENTITY, Conn, Row, audit, load_response
from ...utc import utcnow
from ..policy import Policy
from ._attempts import LeaseLost, settle
from .fencing import ask_provider, record_delivery

__all__ = ["RECONCILE_ACTOR", "InFlight", "ReconcileResult", "in_flight", "reconcile", "reconcile_response"]

RECONCILE_ACTOR = "system:reconcile"
Reason = Literal["delivered", "not_delivered", "provider_error", "taken_over"]


class ReconcileResult(BaseModel):
    """How one `unknown` or stopped `sending` response was settled."""

    response_id: str = Field(description="Response id.")
    before: str = Field(description="State before.")
    after: str = Field(description="State after: sent, failed, or still unknown.")
    reason: Reason = Field(description="delivered, not_delivered, provider_error, or taken_over (by another reconcile).")
    email_id: str | None = Field(default=None, description="Provider id of the delivered email.")
    error: str | None = Field(default=None, description="What the provider said when it could not tell.")
    detail: str = Field(description="The same, in a sentence.")


class InFlight(Attempt):
    """A send attempt that holds a response: who, since when, and when it may be taken over."""

    response_id: str = Field(description="Response id.")
    status: str = Field(description="sending (or unknown while reconcile asks the provider).")
    lease_id: str = Field(description="The attempt's lease id.")
    reclaimable_at: datetime = Field(description="From when reconcile (or a send) may take it over.")
    reclaimable: bool = Field(description="True when that time has come.")


def _in_flight(row: Row, lease: Lease, *, now: datetime, stale_after: timedelta | None) -> InFlight:
    at = reclaimable_at(lease, stale_after=stale_after)
    return InFlight(**lease.model_dump(include=set(Attempt.model_fields)), response_id=row["id"], status=row["status"],
                    lease_id=lease.id, reclaimable_at=at, reclaimable=now >= at)


def in_flight(store: Store, *, response_id: str | None = None, now: datetime | None = None,
              stale_after: timedelta | None = None) -> list[InFlight]:
    """Send attempts still holding their responses (all, or of one response), oldest first."""
    at = utcnow(now)
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT r.id, r.status FROM escalation_responses r JOIN send_leases l ON l.id = r.lease_id"
            " WHERE l.ended_at IS NULL AND r.status IN ('sending', 'unknown')"
            " AND (%(id)s::text IS NULL OR r.id = %(id)s) ORDER BY l.started_at, r.id",
            {"id": response_id},
        ).fetchall()
        found = [(row, current_lease(conn, row["id"])) for row in rows]
    return [_in_flight(row, lease, now=at, stale_after=stale_after) for row, lease in found if lease is not None]


def _take_over(conn: Conn, response_id: str, *, now: datetime, ttl: timedelta,
               stale_after: timedelta | None) -> tuple[Lease, str] | None:
    """Under the row lock: a reconcile lease replacing an expired (or ended) one; None when not reclaimable."""
    row = load_response(conn, response_id, lock=True)
    if row["status"] not in ("sending", "unknown") or row["message_id"] is None:
        return None
    old = current_lease(conn, response_id, lock=True)
    if old is not None and old.ended_at is None and now < reclaimable_at(old, stale_after=stale_after):
        return None
    if old is None and row["status"] == "sending" and now < row["claimed_at"] + (stale_after or ttl):
        return None  # claimed before leases existed: the claim time stands in for the heartbeat
    lease = open_lease(conn, row=row, actor=RECONCILE_ACTOR, message_id=row["message_id"], now=now, ttl=ttl,
                       content=old.content if old else None)
    if old is not None:
        end_lease(conn, old.id, "taken_over", now=now, by=lease.id)
    audit(conn, actor=RECONCILE_ACTOR, entity=RESPONSE_ENTITY, entity_id=response_id, action="taken_over", now=now,
          detail={"lease_id": lease.id, "from_lease": old.id if old else None, "owner": old.owner if old else None,
                  "expired_at": old.expires_at.isoformat() if old else None})
    return lease, row["status"]


def _result(response_id: str, before: str, after: str, reason: Reason, *, email_id: str | None = None,
            error: str | None = None) -> ReconcileResult:
    detail = render("delivery/reconcile_detail.j2", reason=reason, email_id=email_id, error=error).strip()
    return ReconcileResult(response_id=response_id, before=before, after=after, reason=reason, email_id=email_id,
                           error=error, detail=detail)


def reconcile_response(store: Store, *, response_id: str, mailer: Mailer, policy: Policy | None = None,
                       settings: Settings | None = None, now: datetime | None = None,
                       stale_after: timedelta | None = None) -> ReconcileResult | None:
    """Settle one response if it is `unknown` or its attempt's lease expired; None when there is nothing to take over.

    Args:
        store: The database.
        response_id: The response.
        mailer: The transport to ask.
        policy: For the tracking written when it was delivered.
        settings: The lease length (`send_lease_minutes`) of the reconcile attempt itself, and where the
            post-send hook of a delivered response writes its brief.
        now: Clock override.
        stale_after: Also require this long without a heartbeat (never earlier than the lease's expiry).
    """
    policy = policy or Policy()
    settings = settings or Settings()
    ttl = timedelta(minutes=settings.send_lease_minutes)
    at = utcnow(now)
    with store.transaction() as conn:
        taken = _take_over(conn, response_id, now=at, ttl=ttl, stale_after=stale_after)
    if taken is None:
        return None
    lease, before = taken
    try:
        try:
            receipt = ask_provider(store, lease, mailer=mailer, now=now, ttl=ttl)
        except MailError as err:
            settle(store, lease, "unknown", error=err.message, actor=RECONCILE_ACTOR, now=utcnow(now))
            return _result(response_id, before, "unknown", "provider_error", error=err.message)
        if receipt is not None:
            record_delivery(store, lease, receipt, actor=RECONCILE_ACTOR, policy=policy, settings=settings, now=now)
            return _result(response_id, before, "sent", "delivered", email_id=receipt.email_id)
        error = _result(response_id, before, "failed", "not_delivered")
        settle(store, lease, "failed", error=error.detail, actor=RECONCILE_ACTOR, now=utcnow(now), forget_draft=True)
        return error
    except LeaseLost:
        with store.connection() as conn:
            after = load_response(conn, response_id)["status"]
        return _result(response_id, before, after, "taken_over")


def reconcile(store: Store, *, mailer: Mailer, policy: Policy | None = None, settings: Settings | None = None,
              stale_after: timedelta | None = None, now: datetime | None = None) -> list[ReconcileResult]:
    """Settle every `unknown` response, and every `sending` one whose attempt's lease expired.

    `stale_after` (the CLI's `--stale-minutes`) can only postpone a takeover: an attempt is taken
    over when its lease expired and, if given, its last heartbeat is at least that old.
    """
    with store.connection() as conn:
        ids = [r["id"] for r in conn.execute(
            "SELECT id FROM escalation_responses WHERE status IN ('unknown', 'sending') ORDER BY updated_at, id"
        )]
    results = []
    for response_id in ids:
        result = reconcile_response(store, response_id=response_id, mailer=mailer, policy=policy, settings=settings,
                                    now=now, stale_after=stale_after)
        if result is not None:
            results.append(result)
    return results
