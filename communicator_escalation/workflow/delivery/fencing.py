"""Fencing send attempts at the provider, and recording a delivery whoever finds it.

`ask_provider` is what every resend and every takeover does before deciding anything: delete
every unsent draft carrying the response's Message-ID (an attempt suspended before or inside its
send can then no longer deliver: its draft is gone), then ask whether a message with that
Message-ID was delivered. The provider orders the delete and a concurrent send, so "deleted and
not found" means "not delivered, and it never will be".

`record_delivery` is the final commit of a delivery. The attempt that holds the current lease
records its own; a late finisher (its attempt was taken over while its send went through) records
what it delivered instead of dropping it: the response becomes `sent` with the content that went
out, an edit made meanwhile is kept in the audit log, and any attempt running meanwhile is fenced.
Whoever records the delivery then runs the post-send hook, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

from ...config import Settings
from ...errors import MailError
from ...mail.base import Mailer, SendReceipt
from ...rendering import phrases
from ...store import Store
from ...store.leases import Lease, current_lease, delivering_lease, end_lease
from ...store.responses import (
    RESPONSE_ENTITY,
    Conn,
    Row,
    audit,
    content_of,
    hash_content,
    load_response,
    void_approvals,
)
from ...utc import utcnow
from ..followthrough.hook import follow_through
from ..policy import Policy
from ._attempts import finish_attempt, start_attempt
from .tracking import record_sent

__all__ = ["ask_provider", "record_delivery"]


def ask_provider(store: Store, lease: Lease, *, mailer: Mailer, now: datetime | None,
                 ttl: timedelta) -> SendReceipt | None:
    """Delete the unsent drafts of the lease's Message-ID, then return the delivered message's receipt, or None.

    Raises:
        LeaseLost: The lease was taken over before the provider was asked.
        MailError: The provider could not answer (the attempt row records it).
    """
    attempt_id = start_attempt(store, lease, step="ask_provider", transport=mailer.name, now=utcnow(now), ttl=ttl)
    try:
        for draft_id in mailer.drafts_of(lease.message_id):
            mailer.delete_draft(draft_id)
        receipt = mailer.find_sent(lease.message_id)
    except MailError as err:
        finish_attempt(store, attempt_id, step="ask_provider", outcome="error", error=err, now=utcnow(now))
        raise
    finish_attempt(store, attempt_id, step="ask_provider", outcome="sent" if receipt else "not_sent", now=utcnow(now))
    return receipt


def _restore_content(conn: Conn, row: Row, delivered: Lease, *, actor: str, now: datetime) -> None:
    """Make the row hold what went out; the content it held instead stays in the audit log."""
    if hash_content(delivered.content) == hash_content(content_of(row)):
        return
    audit(conn, actor=actor, entity=RESPONSE_ENTITY, entity_id=row["id"], action="content_restored", now=now,
          detail={"delivered_by": delivered.id, "replaced": content_of(row)})
    content = delivered.content
    conn.execute(
        "UPDATE escalation_responses SET to_addrs = %s, cc_addrs = %s, subject = %s, body = %s WHERE id = %s",
        (Jsonb(content["to"]), Jsonb(content["cc"]), content["subject"], content["body"], row["id"]),
    )
    row.update(to_addrs=content["to"], cc_addrs=content["cc"], subject=content["subject"], body=content["body"])


def _fence_others(conn: Conn, row: Row, lease: Lease, *, actor: str, now: datetime) -> None:
    """A late delivery ends whatever was started since: the running attempt and open approval requests."""
    running = current_lease(conn, row["id"])
    if running is not None and running.id != lease.id and running.ended_at is None:
        end_lease(conn, running.id, "fenced", now=now, by=lease.id)
    reason = phrases("delivery/reasons.j2").delivered_earlier()
    void_approvals(conn, response_id=row["id"], actor=actor, now=now, states=("pending",), reason=reason,
                   audit_detail={"reason": reason, "lease_id": lease.id})


def _last_send_call(conn: Conn, response_id: str) -> datetime | None:
    found = conn.execute(
        "SELECT max(started_at) AS at FROM send_attempts WHERE response_id = %s AND step = 'send_draft'",
        (response_id,),
    ).fetchone()
    return found["at"] if found else None


def record_delivery(store: Store, lease: Lease, receipt: SendReceipt, *, actor: str, policy: Policy,
                    settings: Settings, now: datetime | None, sent_at: datetime | None = None) -> bool:
    """Record a delivery found or made under `lease`; False when the response was already recorded as sent.

    The content recorded is the content of the attempt that created the delivered draft: `lease`
    itself when it created one, else the latest attempt that did. `sent_at` defaults to the start
    of the last send call (a delivery found by asking the provider), else now. Once recorded, the
    post-send hook runs (`followthrough.hook.follow_through`: plan, update clock, brief, outcome;
    idempotent, it never raises for an expected failure).
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row = load_response(conn, lease.response_id, lock=True)
        delivered = lease if lease.provider_draft_id else (delivering_lease(conn, row["id"]) or lease)
        current = row["lease_id"] == lease.id
        if row["status"] == "sent":
            action = "delivery_confirmed" if row["email_id"] == receipt.email_id else "second_delivery"
            audit(conn, actor=actor, entity=RESPONSE_ENTITY, entity_id=row["id"], action=action, now=at,
                  detail={"lease_id": lease.id, "email_id": receipt.email_id, "recorded_email_id": row["email_id"]})
            end_lease(conn, lease.id, "sent", now=at)
            return False
        if not current:
            _fence_others(conn, row, lease, actor=actor, now=at)
        _restore_content(conn, row, delivered, actor=actor, now=at)
        when = sent_at or _last_send_call(conn, row["id"]) or at
        record_sent(conn, row=row, receipt=receipt, sent_at=when, actor=actor, policy=policy,
                    detail={"lease_id": lease.id, "delivered_by": delivered.id, "late": not current})
        end_lease(conn, lease.id, "sent", now=at)
    follow_through(store, response_id=lease.response_id, policy=policy, settings=settings, transport=receipt.transport,
                   now=now)
    return True
