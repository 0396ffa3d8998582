"""Step 4 sending: exactly once, whatever the retries, races, crashes or suspended processes.

State machine of `escalation_responses.status`:
``drafted -> pending_approval -> approved -> sending -> sent | failed | unknown`` (and ``rejected``).

1. **Claim** (one transaction, `SELECT ... FOR UPDATE` of the response row, then of its risk signal
   row: always in that order, as `record_sent` does): a sent row answers `already_sent`, a row
   being sent under a live lease `already_sending` (with who, since when and when it becomes
   reclaimable); a response whose escalation is already answered (the signal's `response_sent_at`,
   e.g. from the world file) or being answered by another response of the same signal (`sending`,
   `unknown`, `sent`) is refused (`AlreadyAnswered`), so one escalation gets one first response
   however many drafts it has (a status update or closing email is checked against its thread
   instead: `followthrough.thread.require_current_update`); a draft gets its approval request (expedited or queued); an
   approved row has its approval hash re-checked against the exact content, then moves to
   `sending` under a new **lease** (store/leases.py) carrying that content and the response's
   Message-ID, which is the same for every attempt (`<esc-RESPONSE_ID@sender domain>`).
2. **Deliver** (deliver.py; no lock held, the lease is the lock): a resend first asks the provider
   by Message-ID; every step renews the lease and stops once it was taken over; the provider
   draft is recorded only under the current lease. A possibly delivered request leaves `unknown`.
   Every recorded delivery (this attempt's, a late finisher's, one found by reconcile) runs the
   post-send hook once (`fencing.record_delivery` -> `followthrough.hook.follow_through`).
3. **Reconcile** (reconcile.py): `unknown` rows and `sending` rows whose lease expired are taken
   over, fenced at the provider and settled by asking it, before anything is sent again. A send
   of such a row reconciles it first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from ...auth.access import lock_reachable_response
from ...config import Settings
from ...errors import AlreadyAnswered, ContentChanged, Refused
from ...mail.base import Address, Mailer, OutgoingEmail
from ...mail.message import build_message, make_message_id, message_token
from ...store import Store
from ...store.leases import Lease, current_lease, open_lease, reclaimable_at
from ...store.responses import (
    APPROVAL_ENTITY,
    Conn,
    Row,
    addresses,
    audit,
    content_hash,
    display_names,
    load_response,
    sender_of,
    set_status,
)
from ...utc import utcnow
from ..drafting.gate import require_sendable
from ..drafting.voices import person_name
from ..followthrough.thread import references_of, require_current_update
from ..policy import Policy
from .approval import ApprovalView, approval_status, request_approval
from .notices import deliver_notifications
from .deliver import deliver
from .reconcile import InFlight, ReconcileResult, in_flight, reconcile, reconcile_response
from .tracking import DeliveryRecord, SlaAtSend

__all__ = ["ReconcileResult", "SendOutcome", "reconcile", "send_response"]

Outcome = Literal["sent", "already_sent", "already_sending", "pending_approval", "failed", "unknown"]


class SendOutcome(DeliveryRecord):
    """What a send request did. "Already sent/sending" are answers, not errors."""

    response_id: str = Field(description="Response id.")
    outcome: Outcome = Field(description="sent, already_sent, already_sending, pending_approval, failed or unknown.")
    status: str = Field(description="Response state afterwards.")
    approval: ApprovalView | None = Field(default=None, description="The approval request behind the send.")
    message_id: str | None = Field(default=None, description="RFC 5322 Message-ID of the response.")
    new_thread: bool = Field(
        default=False, description="Sent as a new message (still In-Reply-To) because the provider did not thread it."
    )
    in_flight: InFlight | None = Field(
        default=None, description="The attempt holding the response (sending): since when, and when it becomes reclaimable."
    )


def _outcome(store: Store, response_id: str, outcome: Outcome, now: datetime | None = None) -> SendOutcome:
    with store.connection() as conn:
        row = load_response(conn, response_id)
    status = approval_status(store, response_id=response_id)
    running = in_flight(store, response_id=response_id, now=now)
    return SendOutcome(
        response_id=response_id,
        outcome=outcome,
        status=row["status"],
        approval=status.approval,
        email_id=row["email_id"],
        message_id=row["message_id"],
        sent_at=row["sent_at"],
        response_minutes=row["response_minutes"],
        sla=SlaAtSend(**row["sla_at_send"]) if row["sla_at_send"] else None,
        attempts=row["attempts"],
        last_error=row["last_error"],
        new_thread=bool(row["thread_id"] and row["sent_thread_id"] and row["sent_thread_id"] != row["thread_id"]),
        in_flight=running[0] if running else None,
    )


def _outgoing(conn: Conn, row: Row) -> OutgoingEmail:
    """The exact message of a response row (names from the contacts and the staff directory)."""
    sender = sender_of(conn, row)
    to, cc = addresses(row["to_addrs"]), addresses(row["cc_addrs"])
    known = display_names(conn, to + cc)

    def mailbox(email: str) -> Address:  # a display name only when it reads as a name (contact fields are free text)
        return Address(name=person_name(known.get(email.casefold(), (None,))[0]), email=email)

    message_id = row["message_id"] or make_message_id(  # one Message-ID per response, for every attempt
        domain=sender.email.rpartition("@")[2], token=message_token("esc", row["id"])
    )
    return OutgoingEmail(
        sender=Address(name=sender.name, email=sender.email),
        to=[mailbox(e) for e in to],
        cc=[mailbox(e) for e in cc],
        subject=row["subject"],
        body=row["body"],
        message_id=message_id,
        in_reply_to=row["in_reply_to"],
        references=references_of(conn, row),
        thread_id=row["thread_id"],
    )


def _require_unanswered(conn: Conn, row: Row) -> None:
    """Lock the response's risk signal (after the response row) and refuse if another email answers it.

    Raises:
        AlreadyAnswered: The signal has `response_sent_at`, or another of its responses is sent or
            may be on its way (`sending`, `unknown`).
    """
    signal = conn.execute(
        "SELECT id, response_sent_at, response_email_id FROM risk_signals WHERE id = %s FOR UPDATE",
        (row["risk_signal_id"],),
    ).fetchone()
    other = conn.execute(
        "SELECT id, status, sent_at, email_id, claimed_at FROM escalation_responses"
        " WHERE risk_signal_id = %s AND id <> %s AND status IN ('sent', 'sending', 'unknown')"
        " ORDER BY (email_id IS NOT DISTINCT FROM %s) DESC, sent_at NULLS LAST, claimed_at, id LIMIT 1",
        (signal["id"], row["id"], signal["response_email_id"]),
    ).fetchone()
    if signal["response_sent_at"] is not None:
        email = signal["response_email_id"]
        ours = other is not None and other["status"] == "sent" and (email is None or other["email_id"] == email)
        raise AlreadyAnswered("delivery.answered_before", signal=signal, other=other if ours else None, row=row)
    if other is not None:
        raise AlreadyAnswered("delivery.answered_by", signal=signal, other=other, row=row)


@dataclass(frozen=True)
class _Claimed:
    """A response moved to `sending` under a fresh lease: what to deliver."""

    lease: Lease
    email: OutgoingEmail
    ask_first: bool  # an earlier attempt used this Message-ID: ask the provider before sending


def _in_progress(conn: Conn, row: Row, *, now: datetime) -> Outcome | None:
    """The answer for a response that is sent or being sent: `unknown` means "reconcile it first"."""
    if row["status"] == "sent":
        return "already_sent"
    if row["status"] not in ("sending", "unknown"):
        return None
    lease = current_lease(conn, row["id"])
    live = lease is not None and lease.ended_at is None and now < reclaimable_at(lease)
    return "already_sending" if live or (lease is None and row["status"] == "sending") else "unknown"


def _start_sending(conn: Conn, row: Row, *, actor: str, email: OutgoingEmail, mailer: Mailer, now: datetime,
                   ttl: timedelta) -> _Claimed:
    """Re-check the approval against the exact content, then move the row to `sending` under a new lease."""
    approval = conn.execute(
        "SELECT id, content_hash FROM approval_requests WHERE response_id = %s AND status = 'approved'"
        " ORDER BY decided_at DESC, id DESC LIMIT 1",
        (row["id"],),
    ).fetchone()
    if approval is None or approval["content_hash"] != content_hash(row):
        raise Refused("delivery.no_current_approval", response_id=row["id"])
    ask_first = row["message_id"] is not None
    lease = open_lease(conn, row=row, actor=actor, message_id=email.message_id, now=now, ttl=ttl)
    conn.execute(
        "UPDATE escalation_responses SET status = 'sending', claimed_at = %s, message_id = %s, transport = %s,"
        " provider_draft_id = NULL, updated_at = %s WHERE id = %s",
        (now, email.message_id, mailer.name, now, row["id"]),
    )
    audit(conn, actor=actor, entity=APPROVAL_ENTITY, entity_id=approval["id"], action="used",
          detail={"response_id": row["id"], "content_hash": approval["content_hash"]}, now=now)
    set_status(conn, row, "sending", actor=actor, now=now,
               detail={"message_id": email.message_id, "transport": mailer.name, "lease_id": lease.id})
    return _Claimed(lease=lease, email=email, ask_first=ask_first)


def _claim(store: Store, *, response_id: str, actor_id: str | None, urgent: bool, mailer: Mailer,
           policy: Policy, expected_content_hash: str | None, now: datetime,
           ttl: timedelta) -> tuple[Outcome | None, _Claimed | None, list[int]]:
    """Decide under the row lock; returns (answer, None, notices) or (None, claim, notices) to deliver."""
    with store.transaction() as conn:
        row, actor = lock_reachable_response(conn, response_id=response_id, actor_id=actor_id)
        answer = _in_progress(conn, row, now=now)
        if answer is not None:
            return answer, None, []
        if row["kind"] == "first":
            _require_unanswered(conn, row)
        else:
            require_current_update(conn, row)
        if expected_content_hash is not None and content_hash(row) != expected_content_hash:
            raise ContentChanged("delivery.changed_since_review", response_id=response_id)
        if row["status"] == "rejected":
            raise Refused("delivery.was_rejected", response_id=response_id)
        if not addresses(row["to_addrs"]):
            raise Refused("delivery.no_to", response_id=response_id)
        require_sendable(conn, row, policy=policy.email)  # the final content, before any approval or send
        email = _outgoing(conn, row)
        build_message(email)  # refuse header injection and bad addresses before anything else happens
        notices: list[int] = []
        if row["status"] in ("drafted", "pending_approval"):
            _, notices = request_approval(conn, row=row, actor=actor, urgent=urgent, policy=policy.approval, now=now,
                                          pinned=expected_content_hash is not None)
            if row["status"] != "approved":
                return "pending_approval", None, notices
        return None, _start_sending(conn, row, actor=actor.id, email=email, mailer=mailer, now=now, ttl=ttl), notices


def send_response(store: Store, *, response_id: str, mailer: Mailer, actor_id: str | None = None,
                  urgent: bool = False, policy: Policy | None = None, settings: Settings | None = None,
                  notifier: Mailer | None = None, expected_content_hash: str | None = None,
                  now: datetime | None = None, sleep: Callable[[float], None] = time.sleep,
                  rng: random.Random | None = None) -> SendOutcome:
    """Send a response at most once: request approval if needed, then deliver through `mailer`.

    Args:
        store: The database.
        response_id: The response to send.
        mailer: The transport.
        actor_id: Staff id of who sends; default the account's CSM.
        urgent: "Send Urgently": expedited approval per the policy.
        policy: Escalation policy (approval rules, SLA for the response record).
        settings: Attempts, backoff and the attempt's lease (`send_max_attempts`, `send_backoff_seconds`,
            `send_backoff_cap_seconds`, `send_lease_minutes`).
        notifier: Transport for internal approval notifications (None: recorded only).
        expected_content_hash: `content_hash` of the To, CC, subject and body the sender reviewed
            (`ResponseView.content_hash`); when given and the response no longer has it, nothing is
            approved or sent (checked under the row lock). None: no such check.
        now: Clock override for every timestamp written.
        sleep: How to wait between attempts.
        rng: Random source of the backoff jitter.

    Returns:
        The outcome; `already_sent`, `already_sending` (with `in_flight`: who sends it, since when, and
        when it becomes reclaimable) and `pending_approval` are answers, not errors.

    Raises:
        ContentChanged: The content is not the `expected_content_hash` one.
        AlreadyAnswered: The escalation was already answered by another email, or another response
            of it is being sent; nothing is sent and the response keeps its state.
        Refused: Rejected, no To, no valid approval, actor without access.
        SendBlocked: A blocking review note stands on the final content (nothing queued or sent).
        InvalidHeaderError: The message would carry an injected or malformed header.
    """
    policy = policy or Policy()
    settings = settings or Settings()
    ttl = timedelta(minutes=settings.send_lease_minutes)
    for _ in range(2):
        answer, claimed, notices = _claim(store, response_id=response_id, actor_id=actor_id, urgent=urgent,
                                          mailer=mailer, policy=policy, expected_content_hash=expected_content_hash,
                                          now=utcnow(now), ttl=ttl)
        deliver_notifications(store, ids=notices, mailer=notifier, now=now)
        if answer != "unknown":
            break
        settled = reconcile_response(store, response_id=response_id, mailer=mailer, policy=policy, settings=settings,
                                     now=now)
        if settled is None or settled.after != "failed":
            after = settled.after if settled else "sending"
            return _outcome(store, response_id, {"sent": "already_sent", "sending": "already_sending"}.get(after, "unknown"),
                            now)
    if claimed is None:
        return _outcome(store, response_id, answer or "unknown", now)
    result = deliver(store, lease=claimed.lease, email=claimed.email, mailer=mailer, policy=policy, settings=settings,
                     ask_first=claimed.ask_first, now=now, sleep=sleep, rng=rng)
    return _outcome(store, response_id, result, now)
