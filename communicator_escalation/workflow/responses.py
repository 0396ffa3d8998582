"""Drafted responses in the store: the one function every front door calls to draft, and saving."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

from ..errors import NotFound
from ..models import Draft, DraftEmail, EscalationContext
from ..store import Store
from ._rows import (
    APPROVAL_ENTITY,
    RESPONSE_ENTITY,
    addresses,
    audit,
    load_response,
    require_status,
    resolve_actor,
    set_status,
    utcnow,
)
from .access import require_response_access
from .ccs import suggest_ccs
from .context import gather_context
from .drafting import draft_email
from .policy import Policy
from .strategy import pick_strategy

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["cancel_response", "compose_draft", "create_response", "load_draft", "save_draft", "save_draft_on"]

_CANCELLABLE = ("drafted", "pending_approval", "approved")


def save_draft(store: Store, draft: Draft, *, actor: str, now: datetime | None = None) -> Draft:
    """Insert `draft` as an `escalation_responses` row in state `drafted`, audited with `actor`.

    The row keeps To, CC, subject, body and threading in columns and the whole Draft JSON in
    `draft`; the sender is the account's CSM.

    Returns:
        The draft with its new `response_id`.

    Raises:
        NotFound: The draft's customer does not exist.
    """
    with store.transaction() as conn:
        return save_draft_on(conn, draft, actor=actor, now=now)


def save_draft_on(conn: psycopg.Connection[dict[str, Any]], draft: Draft, *, actor: str,
                  now: datetime | None = None) -> Draft:
    """`save_draft` inside the caller's transaction (the worker saves a batch in one)."""
    moment = utcnow(now)
    saved = draft.model_copy(update={"response_id": f"resp-{uuid.uuid4().hex[:12]}"})
    email = saved.email
    with conn.transaction():  # a savepoint: a failed insert does not end the caller's batch
        inserted = conn.execute(
            "INSERT INTO escalation_responses (id, risk_signal_id, customer_id, status, sender_id, to_addrs, cc_addrs,"
            " subject, body, in_reply_to, thread_id, draft, created_by, created_at, updated_at)"
            " SELECT %(id)s, %(signal)s, c.id, 'drafted', c.csm_id, %(to)s, %(cc)s, %(subject)s, %(body)s,"
            " %(in_reply_to)s, %(thread_id)s, %(draft)s, %(actor)s, %(now)s, %(now)s FROM customers c WHERE c.id = %(customer)s"
            " RETURNING id",
            {
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
            raise NotFound(f"no customer '{saved.customer.id}'")
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


def create_response(
    store: Store,
    *,
    customer: str | None = None,
    signal_id: str | None = None,
    policy: Policy,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> Draft:
    """Draft and save the response to a customer's escalation: gather, strategy, CCs, draft, save.

    The CLI, the API and the agent's tool all call this.

    Args:
        store: The database.
        customer: What the CSM typed to name the customer (or give `signal_id`).
        signal_id: A specific escalation signal.
        policy: SLA and relationship policy.
        llm: Optional chat model for the grounded rewrite.
        instructions: Free-text CSM guidance; only ever shapes the rewrite's tone (recorded otherwise).
        actor: Who drafts, for the audit log; defaults to the account's CSM.
        now: The moment to compute the SLA clock for (default: now).

    Raises:
        CustomerNotFound, AmbiguousCustomer, NoOpenEscalation, NotFound, NotAnEscalation, InvalidRequest.
    """
    ctx = gather_context(store, customer=customer, signal_id=signal_id, now=now)
    draft = compose_draft(ctx, policy=policy, llm=llm, instructions=instructions)
    who = actor or (ctx.team.csm.id if ctx.team.csm else "system")
    return save_draft(store, draft, actor=who, now=ctx.gathered_at)


def compose_draft(
    ctx: EscalationContext, *, policy: Policy, llm: BaseChatModel | None = None, instructions: str | None = None
) -> Draft:
    """Steps 2-3 on a gathered context: strategy, CCs, the draft (not saved)."""
    strategy = pick_strategy(ctx, policy, now=ctx.gathered_at)
    ccs = suggest_ccs(ctx, strategy, policy=policy)
    return draft_email(ctx, strategy, ccs, llm=llm, instructions=instructions, now=ctx.gathered_at)


def load_draft(store: Store, *, response_id: str) -> Draft:
    """The stored draft with its current To, CC, subject, body and threading (edits included).

    Raises:
        NotFound: No response with that id.
    """
    with store.connection() as conn:
        row = load_response(conn, response_id)
    draft = Draft.model_validate(row["draft"])
    email = DraftEmail(
        to=addresses(row["to_addrs"]),
        cc=addresses(row["cc_addrs"]),
        subject=row["subject"],
        body=row["body"],
        in_reply_to=row["in_reply_to"],
        thread_id=row["thread_id"],
    )
    return draft.model_copy(update={"response_id": response_id, "email": email})


def cancel_response(
    store: Store, *, response_id: str, actor_id: str | None = None, now: datetime | None = None
) -> None:
    """Withdraw a response that has not been sent: state `rejected`, open approvals voided, audited.

    Raises:
        NotFound: No response with that id, an unknown actor, or one who may not reach the account.
        Refused: The response is already sending, sent or cancelled.
    """
    moment = utcnow(now)
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_response_access(conn, actor=actor, response_id=response_id)
        require_status(row, _CANCELLABLE, "cancel")
        voided = conn.execute(
            "UPDATE approval_requests SET status = 'void', decided_by = %s, decided_at = %s,"
            " reason = 'response cancelled' WHERE response_id = %s AND status IN ('pending', 'approved') RETURNING id",
            (actor.id, moment, response_id),
        ).fetchall()
        for approval in voided:
            audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval["id"], action="void",
                  detail={"reason": f"response {response_id} cancelled"}, now=moment)
        set_status(conn, row, "rejected", actor=actor.id, now=moment, action="cancelled")
