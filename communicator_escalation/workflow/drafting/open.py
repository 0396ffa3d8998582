"""Open the prepared draft of an escalation, or make one: the one drafting path of every door.

`open_or_create_draft` resolves the escalation among the customers the actor may reach, takes a
PostgreSQL advisory lock keyed by the signal id, and returns the newest response of it still in
`drafted` state (the worker's pre-draft, or a draft the CSM is editing) unless the caller asks for a
new one. The CLI (`escalation draft`), the API's draft endpoint, the agent's draft tool and the
worker's pre-draft (`ensure_draft`) all call it, so one signal never gets two drafts by accident.

A request holds one pooled connection at a time: the lock is taken on the connection that then does
the work (resolve, gather, save), never on a second one, so concurrent drafts cannot starve the pool.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ...auth.access import acting_staff
from ...auth.actor import WORKER, Actor
from ...errors import EscalationError, NoOpenEscalation, NotAnEscalation, NotFound
from ...models import ESCALATION_SIGNAL_TYPES, Draft
from ...store import Store
from ...store.responses import Conn
from ..context.target import choose_escalation
from ..policy import Policy
from .responses import compose_and_save, load_draft_on

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "OpenedDraft",
    "PredraftOutcome",
    "create_response",
    "ensure_draft",
    "open_or_create_draft",
    "pending_signal_ids",
]

_LOCK_NAMESPACE = 29_029  # first key of the two-key advisory lock; the second is hashtext(signal id)

logger = logging.getLogger(__name__)


class OpenedDraft(BaseModel):
    """The draft a request opened, and whether it was made for this request."""

    draft: Draft = Field(description="The draft, with its current To, CC, subject and body.")
    created: bool = Field(description="True when drafted now; False when an existing draft was opened.")


class PredraftOutcome(BaseModel):
    """What `ensure_draft` did for one signal."""

    signal_id: str = Field(description="Risk signal id.")
    outcome: Literal["drafted", "exists", "not_open", "failed"] = Field(
        description="drafted now; a response already exists; not an open escalation (any more); or failed."
    )
    response_id: str | None = Field(default=None, description="The new or existing response id.")
    error: str | None = Field(default=None, description="Why drafting failed.")


@contextmanager
def _signal_lock(conn: Conn, signal_id: str) -> Iterator[None]:
    """Hold the advisory lock of `signal_id` on `conn`, the connection that does the work under it."""
    conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))


def _newest_response(conn: Conn, *, signal_id: str, status: str | None = None) -> str | None:
    row = conn.execute(
        "SELECT id FROM escalation_responses WHERE risk_signal_id = %(signal)s"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY created_at DESC, id DESC LIMIT 1",
        {"signal": signal_id, "status": status},
    ).fetchone()
    return row["id"] if row else None


def _require_open(conn: Conn, *, signal_id: str) -> None:
    """Refuse a signal that is no longer an open, unanswered escalation (pre-drafting only)."""
    row = conn.execute(
        "SELECT 1 FROM risk_signals WHERE id = %s AND status = 'open' AND signal_type = ANY(%s)"
        " AND response_sent_at IS NULL",
        (signal_id, list(ESCALATION_SIGNAL_TYPES)),
    ).fetchone()
    if row is None:
        raise NoOpenEscalation(f"risk signal '{signal_id}' is no longer an open, unanswered escalation")


def open_or_create_draft(
    store: Store,
    *,
    actor: Actor,
    policy: Policy,
    customer: str | None = None,
    signal_id: str | None = None,
    instructions: str | None = None,
    new: bool = False,
    predraft: bool = False,
    llm: BaseChatModel | None = None,
    now: datetime | None = None,
) -> OpenedDraft:
    """The prepared draft of an escalation, or a new one.

    The escalation is `signal_id` (the customer's, when `customer` is given too), else the most urgent
    open escalation of the customer `customer` names; a staff member finds only the customers they may
    reach. Under the signal's lock, the newest response of it still in `drafted` state is opened as it
    stands, unless `instructions` or `new` ask for a new draft (or there is none).

    Args:
        store: The database.
        actor: Who drafts (recorded in the audit log; a staff member is held to the access rule).
        policy: SLA and relationship policy.
        customer: What the CSM typed to name the customer (id, name or part of a name).
        signal_id: A specific escalation signal.
        instructions: Free-text CSM guidance for the rewrite; always makes a new draft.
        new: Make a new draft even when one is open.
        predraft: The worker's pre-draft: open any existing response of the signal (whatever its state)
            and refuse a signal that is no longer an open, unanswered escalation.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).

    Raises:
        CustomerNotFound, AmbiguousCustomer, NoOpenEscalation, NotFound, NotAnEscalation, InvalidRequest.
    """
    with store.connection() as conn:
        staff = acting_staff(conn, actor)
        chosen = choose_escalation(conn, actor=staff, customer=customer, signal_id=signal_id).id
        with _signal_lock(conn, chosen):
            reusable = None if predraft else "drafted"
            prepared = None if new or instructions else _newest_response(conn, signal_id=chosen, status=reusable)
            if prepared is not None:
                return OpenedDraft(draft=load_draft_on(conn, response_id=prepared), created=False)
            if predraft:
                _require_open(conn, signal_id=chosen)
            draft = compose_and_save(
                conn, actor=actor, signal_id=chosen, policy=policy, llm=llm, instructions=instructions, now=now
            )
    return OpenedDraft(draft=draft, created=True)


def create_response(
    store: Store,
    *,
    actor: Actor,
    policy: Policy,
    customer: str | None = None,
    signal_id: str | None = None,
    instructions: str | None = None,
    llm: BaseChatModel | None = None,
    now: datetime | None = None,
) -> Draft:
    """A new draft of the escalation, saved as `drafted` (`open_or_create_draft` with `new=True`)."""
    return open_or_create_draft(
        store, actor=actor, policy=policy, customer=customer, signal_id=signal_id, instructions=instructions,
        new=True, llm=llm, now=now,
    ).draft


def ensure_draft(
    store: Store, *, signal_id: str, policy: Policy, llm: BaseChatModel | None = None, now: datetime | None = None
) -> PredraftOutcome:
    """The worker's pre-draft of `signal_id` unless it has a response; never raises for an expected failure.

    Args:
        store: The database.
        signal_id: The risk signal to pre-draft.
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).
    """
    try:
        opened = open_or_create_draft(
            store, actor=WORKER, signal_id=signal_id, policy=policy, predraft=True, llm=llm, now=now
        )
    except (NoOpenEscalation, NotAnEscalation, NotFound):
        return PredraftOutcome(signal_id=signal_id, outcome="not_open")
    except EscalationError as err:
        logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
        return PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message)
    response_id = opened.draft.response_id
    if not opened.created:
        return PredraftOutcome(signal_id=signal_id, outcome="exists", response_id=response_id)
    logger.info("pre-drafted %s as response %s", signal_id, response_id)
    return PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=response_id)


def pending_signal_ids(store: Store) -> list[str]:
    """Open escalations that have no response yet, oldest first."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT s.id FROM risk_signals s WHERE s.status = 'open' AND s.signal_type = ANY(%s)"
            " AND s.response_sent_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM escalation_responses r WHERE r.risk_signal_id = s.id)"
            " ORDER BY s.detected_at, s.id",
            (list(ESCALATION_SIGNAL_TYPES),),
        ).fetchall()
    return [row["id"] for row in rows]
