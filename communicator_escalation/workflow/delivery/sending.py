"""Step 4 sending: exactly once, whatever the retries, races or crashes.

State machine of `escalation_responses.status`:
``drafted -> pending_approval -> approved -> sending -> sent | failed | unknown`` (and ``rejected``).

1. **Claim** (one transaction, `SELECT ... FOR UPDATE` of the response row, then of its risk signal
   row: always in that order, as `record_sent` does): a sent or sending row answers
   `already_sent` / `already_sending`; a response whose escalation is already answered (the signal's
   `response_sent_at`, e.g. from the world file) or being answered by another response of the same
   signal (`sending`, `unknown`, `sent`) is refused (`AlreadyAnswered`), so one escalation gets one
   first response however many drafts it has; a draft gets its approval request (expedited or queued);
   an approved row has its approval hash re-checked against the exact content, then moves to
   `sending` with its Message-ID fixed. Concurrent callers queue on the row lock and see `sending`.
2. **Deliver** (no lock held; `sending` is the lock): create the provider draft once and store its
   id before sending it; `TransientMailError` is retried with capped exponential backoff and
   jitter (at least `retry_after`), each attempt recorded in `send_attempts`; after the last
   attempt the row is `failed` with the error and the draft kept. A possibly delivered request
   (`AmbiguousMailError`, a crash) leaves `unknown`.
3. **Reconcile** (reconcile.py, re-exported here): `unknown` and stale `sending` rows are settled
   through `Mailer.draft_status` (a sent draft is gone) before anything is sent again.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ...auth.access import require_response_access
from ...config import Settings
from ...errors import AlreadyAnswered, ContentChanged, MailError, Refused
from ...mail.base import (
    Address,
    AmbiguousMailError,
    DraftAlreadySent,
    Mailer,
    OutgoingEmail,
    TransientMailError,
)
from ...mail.message import build_message, make_message_id
from ...store import Store
from ...store.responses import (
    APPROVAL_ENTITY,
    Conn,
    Row,
    addresses,
    audit,
    content_hash,
    display_names,
    load_response,
    resolve_actor,
    sender_of,
    set_status,
    utcnow,
)
from ..drafting.gate import require_sendable
from ..drafting.voices import person_name
from ..policy import Policy
from ._attempts import finish_attempt, mark_sent, settle, start_attempt
from .approval import ApprovalView, approval_status, deliver_notifications, request_approval
from .reconcile import ReconcileResult, reconcile, reconcile_response
from .tracking import SlaAtSend

__all__ = ["ReconcileResult", "SendOutcome", "backoff_delay", "reconcile", "send_response"]

SYSTEM_ACTOR = "system:sender"
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")
Outcome = Literal["sent", "already_sent", "already_sending", "pending_approval", "failed", "unknown"]


class SendOutcome(BaseModel):
    """What a send request did. "Already sent/sending" are answers, not errors."""

    response_id: str = Field(description="Response id.")
    outcome: Outcome = Field(description="sent, already_sent, already_sending, pending_approval, failed or unknown.")
    status: str = Field(description="Response state afterwards.")
    approval: ApprovalView | None = Field(default=None, description="The approval request behind the send.")
    email_id: str | None = Field(default=None, description="Provider id of the sent email.")
    message_id: str | None = Field(default=None, description="RFC 5322 Message-ID of the response.")
    sent_at: datetime | None = Field(default=None, description="When it was sent.")
    response_minutes: int | None = Field(default=None, description="Minutes from the escalation to the response.")
    sla: SlaAtSend | None = Field(default=None, description="SLA state at send time.")
    attempts: int = Field(default=0, description="Delivery attempts made so far (all sends of this response).")
    last_error: str | None = Field(default=None, description="Last delivery error.")
    new_thread: bool = Field(
        default=False, description="Sent as a new message (still In-Reply-To) because the provider did not thread it."
    )


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based).

    Capped exponential backoff with equal jitter (half fixed, half random), never less than the
    provider's `retry_after`.
    """
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def _outcome(store: Store, response_id: str, outcome: Outcome) -> SendOutcome:
    with store.connection() as conn:
        row = load_response(conn, response_id)
    status = approval_status(store, response_id=response_id)
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
    )


def _outgoing(conn: Conn, row: Row) -> OutgoingEmail:
    """The exact message of a response row (names from the contacts and the staff directory)."""
    sender = sender_of(conn, row)
    to, cc = addresses(row["to_addrs"]), addresses(row["cc_addrs"])
    known = display_names(conn, to + cc)

    def mailbox(email: str) -> Address:  # a display name only when it reads as a name (contact fields are free text)
        return Address(name=person_name(known.get(email.casefold(), (None,))[0]), email=email)

    message_id = row["message_id"] or make_message_id(
        domain=sender.email.rpartition("@")[2],
        token=_TOKEN_UNSAFE.sub("-", f"esc-{row['id']}-{random.getrandbits(48):012x}"),
    )
    return OutgoingEmail(
        sender=Address(name=sender.name, email=sender.email),
        to=[mailbox(e) for e in to],
        cc=[mailbox(e) for e in cc],
        subject=row["subject"],
        body=row["body"],
        message_id=message_id,
        in_reply_to=row["in_reply_to"],
        references=[row["in_reply_to"]] if row["in_reply_to"] else [],
        thread_id=row["thread_id"],
    )


def _moment(value: datetime) -> str:
    return utcnow(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


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
    kept = f"nothing was sent and response {row['id']} stays {row['status']}"
    if signal["response_sent_at"] is not None:
        email = signal["response_email_id"]
        if other is not None and other["status"] == "sent" and (email is None or other["email_id"] == email):
            by = f"by response {other['id']} (email {other['email_id']})"
        else:
            by = f"by email {email}" if email else "by an earlier email"
            by += " (recorded in the world file, not a response sent from here)"
        raise AlreadyAnswered(
            f"escalation {signal['id']} was already answered at {_moment(signal['response_sent_at'])} {by}; {kept}"
        )
    if other is not None:
        doing = {"sending": "is being sent", "unknown": "may have been delivered (it is being confirmed)",
                 "sent": "was sent"}[other["status"]]
        if other["sent_at"] is not None:
            when = f" at {_moment(other['sent_at'])} (email {other['email_id']})"
        else:
            when = f" (claimed for sending at {_moment(other['claimed_at'])})" if other["claimed_at"] else ""
        raise AlreadyAnswered(
            f"escalation {signal['id']} is already answered: response {other['id']} {doing}{when}; {kept}"
        )


def _claim(store: Store, *, response_id: str, actor_id: str | None, urgent: bool, mailer: Mailer,
           policy: Policy, expected_content_hash: str | None,
           now: datetime) -> tuple[Outcome | None, OutgoingEmail | None, list[int]]:
    """Decide under the row lock; returns (answer, None, notices) or (None, message, notices) to deliver."""
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_response_access(conn, actor=actor, response_id=response_id)
        if row["status"] in ("sent", "sending", "unknown"):
            return {"sent": "already_sent", "sending": "already_sending", "unknown": "unknown"}[row["status"]], None, []
        _require_unanswered(conn, row)
        if expected_content_hash is not None and content_hash(row) != expected_content_hash:
            raise ContentChanged(
                f"response {response_id} changed after it was put up for review (its To, CC, subject or body"
                " is not what was shown); nothing was sent. Review the new content, then send it again"
            )
        if row["status"] == "rejected":
            raise Refused(f"response {response_id} was rejected; edit it to ask for a new approval")
        if not addresses(row["to_addrs"]):
            raise Refused(f"response {response_id} has no To recipient; choose a contact with edit --to first")
        require_sendable(conn, row, policy=policy.email)  # the final content, before any approval or send
        email = _outgoing(conn, row)
        build_message(email)  # refuse header injection and bad addresses before anything else happens
        notices: list[int] = []
        if row["status"] in ("drafted", "pending_approval"):
            _, notices = request_approval(conn, row=row, actor=actor, urgent=urgent, policy=policy.approval, now=now)
            if row["status"] != "approved":
                return "pending_approval", None, notices
        approval = conn.execute(
            "SELECT id, content_hash FROM approval_requests WHERE response_id = %s AND status = 'approved'"
            " ORDER BY decided_at DESC, id DESC LIMIT 1",
            (response_id,),
        ).fetchone()
        if approval is None or approval["content_hash"] != content_hash(row):
            raise Refused(f"response {response_id} has no approval for its current content; send it again to request one")
        conn.execute(
            "UPDATE escalation_responses SET status = 'sending', claimed_at = %s, message_id = %s, transport = %s,"
            " updated_at = %s WHERE id = %s",
            (now, email.message_id, mailer.name, now, response_id),
        )
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval["id"], action="used",
              detail={"response_id": response_id, "content_hash": approval["content_hash"]}, now=now)
        set_status(conn, row, "sending", actor=actor.id, now=now,
                   detail={"message_id": email.message_id, "transport": mailer.name})
        return None, email, notices


def _deliver(store: Store, *, response_id: str, email: OutgoingEmail, mailer: Mailer, policy: Policy,
             settings: Settings, now: datetime | None, sleep: Callable[[float], None],
             rng: random.Random | None) -> Outcome:
    with store.connection() as conn:
        draft_id: str | None = load_response(conn, response_id)["provider_draft_id"]
    check_first = draft_id is not None  # resuming: an earlier try may have delivered it
    for n in range(1, settings.send_max_attempts + 1):
        step = "create_draft" if draft_id is None else ("draft_status" if check_first else "send_draft")
        attempt_id, _ = start_attempt(store, response_id, step=step, transport=mailer.name, now=utcnow(now))
        try:
            if draft_id is None:
                draft_id = mailer.create_draft(email)
                with store.connection() as conn:
                    conn.execute("UPDATE escalation_responses SET provider_draft_id = %s WHERE id = %s",
                                 (draft_id, response_id))
            elif check_first:
                state, receipt = mailer.draft_status(draft_id, email.message_id)
                if state == "sent" and receipt is not None:
                    finish_attempt(store, attempt_id, step=step, outcome="sent", now=utcnow(now))
                    mark_sent(store, response_id, receipt, sent_at=utcnow(now), actor=SYSTEM_ACTOR, policy=policy)
                    return "sent"
                if state != "draft":
                    raise AmbiguousMailError(f"provider draft {draft_id} is {state}")
            check_first = False
            step = "send_draft"
            receipt = mailer.send_draft(draft_id)
        except DraftAlreadySent as err:  # delivered by an earlier try: record it, send nothing
            finish_attempt(store, attempt_id, step=step, outcome="sent", error=err, now=utcnow(now))
            mark_sent(store, response_id, err.receipt, sent_at=utcnow(now), actor=SYSTEM_ACTOR, policy=policy)
            return "sent"
        except AmbiguousMailError as err:
            if step == "create_draft":
                err = TransientMailError(err.message)  # nothing can have been delivered: retry
            else:
                finish_attempt(store, attempt_id, step=step, outcome="ambiguous", error=err, now=utcnow(now))
                settle(store, response_id, "unknown", error=err.message, actor=SYSTEM_ACTOR, now=utcnow(now))
                return "unknown"
            transient: TransientMailError = err
        except TransientMailError as err:
            transient = err
        except MailError as err:
            finish_attempt(store, attempt_id, step=step, outcome="error", error=err, now=utcnow(now))
            after = "unknown" if step == "send_draft" else "failed"
            settle(store, response_id, after, error=err.message, actor=SYSTEM_ACTOR, now=utcnow(now))
            return after
        except BaseException as err:
            # A bug or an interrupt mid-call: after send_draft was called we cannot know.
            after = "unknown" if step == "send_draft" else "failed"
            settle(store, response_id, after, error=f"{type(err).__name__}: {err}", actor=SYSTEM_ACTOR,
                    now=utcnow(now))
            raise
        else:
            finish_attempt(store, attempt_id, step=step, outcome="sent", now=utcnow(now))
            mark_sent(store, response_id, receipt, sent_at=utcnow(now), actor=SYSTEM_ACTOR, policy=policy)
            return "sent"
        check_first = check_first or step == "send_draft"
        retry_after = transient.retry_after
        last = n == settings.send_max_attempts
        too_long = retry_after is not None and retry_after > settings.send_backoff_cap_seconds
        delay = None if last or too_long else backoff_delay(
            n, base=settings.send_backoff_seconds, cap=settings.send_backoff_cap_seconds, retry_after=retry_after,
            rng=rng)
        finish_attempt(store, attempt_id, step=step, outcome="transient", error=transient, delay=delay,
                        now=utcnow(now))
        if delay is None:
            reason = (f"provider asked to retry after {retry_after:g} s" if too_long and not last
                      else f"gave up after {n} attempt{'s' if n > 1 else ''}")
            settle(store, response_id, "failed", error=f"{transient.message} ({reason})", actor=SYSTEM_ACTOR,
                    now=utcnow(now))
            return "failed"
        sleep(delay)
    raise AssertionError("unreachable: the last attempt always settles")


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
        settings: Attempts and backoff (`send_max_attempts`, `send_backoff_seconds`, `send_backoff_cap_seconds`).
        notifier: Transport for internal approval notifications (None: recorded only).
        expected_content_hash: `content_hash` of the To, CC, subject and body the sender reviewed
            (`ResponseView.content_hash`); when given and the response no longer has it, nothing is
            approved or sent (checked under the row lock). None: no such check.
        now: Clock override for every timestamp written.
        sleep: How to wait between attempts.
        rng: Random source of the backoff jitter.

    Returns:
        The outcome; `already_sent`, `already_sending` and `pending_approval` are answers, not errors.

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
    for _ in range(2):
        answer, email, notices = _claim(store, response_id=response_id, actor_id=actor_id, urgent=urgent,
                                        mailer=mailer, policy=policy, expected_content_hash=expected_content_hash,
                                        now=utcnow(now))
        deliver_notifications(store, ids=notices, mailer=notifier, now=now)
        if answer != "unknown":
            break
        settled = reconcile_response(store, response_id=response_id, mailer=mailer, policy=policy, now=now,
                                 stale_before=None)
        if settled is None or settled.after != "failed":
            return _outcome(store, response_id, "already_sent" if settled and settled.after == "sent" else "unknown")
    if email is None:
        return _outcome(store, response_id, answer or "unknown")
    result = _deliver(store, response_id=response_id, email=email, mailer=mailer, policy=policy, settings=settings,
                      now=now, sleep=sleep, rng=rng)
    return _outcome(store, response_id, result)
