"""Drafted responses in the store: compose and save a draft, read it back, cancel it.

The doors draft through `open_or_create_draft` (open.py), which takes the per-signal lock and calls
`compose_and_save` on the connection it holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from psycopg.types.json import Jsonb

from ...auth.access import lock_reachable_response, require_response_reach
from ...auth.actor import Actor
from ...errors import NotFound
from ...models import Draft, DraftEmail, EscalationContext
from ...rendering import phrases
from ...store import Store
from ...store.responses import (
    RESPONSE_ENTITY,
    Conn,
    audit,
    content_of,
    load_response,
    require_status,
    set_status,
    void_approvals,
)
from ...utc import utcnow
from ..context.gather import gather_on
from ..policy import EmailPolicy, Policy
from ..strategy.ccs import suggest_ccs
from ..strategy.pick import pick_strategy
from .compose import draft_email
from .gate import final_notes, refreshed_notes

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["cancel_response", "compose_and_save", "compose_draft", "load_draft", "load_draft_on", "save_draft_on"]

_CANCELLABLE = ("drafted", "pending_approval", "approved")


def save_draft_on(conn: Conn, draft: Draft, *, actor: str, now: datetime | None = None) -> Draft:
    """Insert `draft` as an `escalation_responses` row in state `drafted`, audited with `actor` (one
    transaction on `conn`; a savepoint inside the caller's, so a failed insert leaves a batch going).

    The row keeps To, CC, subject, body and threading in columns and the whole Draft JSON in
    `draft`; the sender is the account's CSM.

    Returns:
        The draft with its new `response_id`.

    Raises:
        NotFound: The draft's customer does not exist.
    """
    moment = utcnow(now)
    saved = draft.model_copy(update={"response_id": f"resp-{uuid.uuid4().hex[:12]}"})
    email = saved.email
    with conn.transaction():
        inserted = conn.execute(
            "INSERT INTO escalation_responses (id, risk_signal_id, customer_id, status, sender_id, to_addrs, cc_addrs,"
            " subject, body, in_reply_to, thread_id, draft, created_by, created_at, updated_at, kind,"
            " follows_response_id)"
            " SELECT %(id)s, %(signal)s, c.id, 'drafted', c.csm_id, %(to)s, %(cc)s, %(subject)s, %(body)s,"
            " %(in_reply_to)s, %(thread_id)s, %(draft)s, %(actor)s, %(now)s, %(now)s, %(kind)s, %(follows)s"
            " FROM customers c WHERE c.id = %(customer)s"
            " RETURNING id",
            {
                "kind": saved.kind,
                "follows": saved.follows_response_id,
                "id": saved.response_id,
                "signal": saved.escalation.risk_signal_id,
                "customer": saved.customer.id,
                "to": Jsonb(email.to),
                "cc": Jsonb(email.cc),
                "subject": email.subject,
                "body": email.body,
                "in_reply_to": email.in_reply_to,
                "thread_id": email.thread_id,
                "draft": Jsonb(saved.to_json()),
                "actor": actor,
                "now": moment,
            },
        ).fetchone()
        if inserted is None:
            raise NotFound("context.customer_missing", customer_id=saved.customer.id)
        audit(
            conn,
            actor=actor,
            entity=RESPONSE_ENTITY,
            entity_id=saved.response_id,
            action="drafted",
            detail={
                "risk_signal_id": saved.escalation.risk_signal_id,
                "template": saved.strategy.template,
                "generated_by": saved.generated_by,
                "to": email.to,
                "subject": email.subject,
            },
            now=moment,
        )
    return saved


def compose_and_save(
    conn: Conn,
    *,
    actor: Actor,
    signal_id: str,
    policy: Policy,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    now: datetime | None = None,
) -> Draft:
    """Draft and save the response to one escalation on `conn`: gather, strategy, CCs, draft, save.

    Args:
        conn: The connection the caller holds (with the signal's lock: see `open_or_create_draft`).
        actor: Who drafts; recorded in the audit log (the account's CSM when no staff member acts).
        signal_id: The escalation to answer (already resolved and access-checked by the caller).
        policy: SLA and relationship policy.
        llm: Optional chat model for the grounded rewrite.
        instructions: Free-text CSM guidance; only ever shapes the rewrite's tone (recorded otherwise).
        now: The moment to compute the SLA clock for (default: now).
    """
    ctx = gather_on(conn, actor=actor, signal_id=signal_id, now=now)
    draft = compose_draft(ctx, policy=policy, llm=llm, instructions=instructions)
    who = actor.audit_id(ctx.team.csm.id if ctx.team.csm else None)
    return save_draft_on(conn, draft, actor=who, now=ctx.gathered_at)


def compose_draft(
    ctx: EscalationContext, *, policy: Policy, llm: BaseChatModel | None = None, instructions: str | None = None
) -> Draft:
    """Steps 2-3 on a gathered context: strategy, CCs, the draft (not saved; the worker saves a batch)."""
    strategy = pick_strategy(ctx, policy, now=ctx.gathered_at)
    ccs = suggest_ccs(ctx, strategy, policy=policy)
    return draft_email(ctx, strategy, ccs, llm=llm, instructions=instructions, now=ctx.gathered_at, policy=policy)


def load_draft_on(conn: Conn, *, response_id: str, policy: EmailPolicy) -> Draft:
    """The stored draft with its current To, CC, subject, body and threading (edits included), and its
    content notes (placeholders, greeting, ungrounded facts, ...) computed again on that content.

    Raises:
        NotFound: No response with that id.
    """
    row = load_response(conn, response_id)
    draft = Draft.model_validate(row["draft"])
    email = DraftEmail(**content_of(row), in_reply_to=row["in_reply_to"], thread_id=row["thread_id"])
    notes = refreshed_notes(draft.review_notes, final_notes(conn, row, policy=policy))
    return draft.model_copy(update={"response_id": response_id, "email": email, "review_notes": notes})


def load_draft(store: Store, *, response_id: str, actor: Actor, policy: EmailPolicy) -> Draft:
    """The stored draft as `load_draft_on` reads it, for an actor who reaches its customer.

    Raises:
        NotFound: No response with that id, one of a customer the actor may not reach, or an unknown actor.
    """
    with store.connection() as conn:
        require_response_reach(conn, actor=actor, response_id=response_id)
        return load_draft_on(conn, response_id=response_id, policy=policy)


def cancel_response(store: Store, *, response_id: str, actor: Actor, now: datetime | None = None) -> None:
    """Withdraw a response that has not been sent: state `rejected`, open approvals voided, audited.

    Raises:
        NotFound: No response with that id, an unknown actor, or one who may not reach the account.
        Refused: The response is already sending, sent or cancelled.
    """
    moment = utcnow(now)
    with store.transaction() as conn:
        row, staff = lock_reachable_response(conn, response_id=response_id, actor_id=actor.staff_id)
        require_status(row, _CANCELLABLE, "cancel")
        reasons = phrases("delivery/reasons.j2")
        void_approvals(conn, response_id=response_id, actor=staff.id, now=moment, reason=reasons.cancelled(),
                       audit_detail={"reason": reasons.cancelled_response(response_id)})
        set_status(conn, row, "rejected", actor=staff.id, now=moment, action="cancelled")
