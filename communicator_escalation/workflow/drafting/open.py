"""Open the prepared draft of an escalation, or make one: one draft per signal, however many callers.

`ensure_draft` (the worker's pre-draft) takes a PostgreSQL advisory lock keyed by the signal id,
then checks for an existing response before drafting. The same lock serialises `open_draft` (the
API's and the agent's "open the prepared draft or make one"), so the alert's "Escalation Response"
quick action and the worker never produce two drafts for one signal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ...errors import CustomerNotFound, EscalationError
from ...models import ESCALATION_SIGNAL_TYPES, Draft, RiskSignal
from ...store import Store
from ..context.gather import select_escalation
from ..policy import Policy
from .responses import create_response, load_draft

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["WORKER_ACTOR", "PredraftOutcome", "ensure_draft", "open_draft", "pending_signal_ids"]

WORKER_ACTOR = "system:worker"
_LOCK_NAMESPACE = 29_029  # first key of the two-key advisory lock; the second is hashtext(signal id)

logger = logging.getLogger(__name__)


class PredraftOutcome(BaseModel):
    """What `ensure_draft` did for one signal."""

    signal_id: str = Field(description="Risk signal id.")
    outcome: Literal["drafted", "exists", "not_open", "failed"] = Field(
        description="drafted now; a response already exists; not an open escalation (any more); or failed."
    )
    response_id: str | None = Field(default=None, description="The new or existing response id.")
    error: str | None = Field(default=None, description="Why drafting failed.")


@contextmanager
def _signal_lock(store: Store, signal_id: str) -> Iterator[None]:
    """Hold the advisory lock of `signal_id` (session level, on a connection of its own)."""
    with store.connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))


def _newest_response(store: Store, *, signal_id: str, status: str | None = None) -> str | None:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT id FROM escalation_responses WHERE risk_signal_id = %(signal)s AND kind = 'first'"
            " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY created_at DESC, id DESC LIMIT 1",
            {"signal": signal_id, "status": status},
        ).fetchone()
    return row["id"] if row else None


def _is_open_escalation(store: Store, *, signal_id: str) -> bool:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT 1 FROM risk_signals WHERE id = %s AND status = 'open' AND signal_type = ANY(%s)"
            " AND response_sent_at IS NULL",
            (signal_id, list(ESCALATION_SIGNAL_TYPES)),
        ).fetchone()
    return row is not None


def ensure_draft(
    store: Store, *, signal_id: str, policy: Policy, llm: BaseChatModel | None = None, now: datetime | None = None
) -> PredraftOutcome:
    """Draft a response for `signal_id` unless one exists; never raises for an expected failure.

    Args:
        store: The database.
        signal_id: The risk signal to pre-draft.
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).
    """
    with _signal_lock(store, signal_id):
        existing = _newest_response(store, signal_id=signal_id)
        if existing is not None:
            return PredraftOutcome(signal_id=signal_id, outcome="exists", response_id=existing)
        if not _is_open_escalation(store, signal_id=signal_id):
            return PredraftOutcome(signal_id=signal_id, outcome="not_open")
        try:
            draft = create_response(store, signal_id=signal_id, policy=policy, llm=llm, actor=WORKER_ACTOR, now=now)
        except EscalationError as err:
            logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
            return PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message)
    logger.info("pre-drafted %s as response %s", signal_id, draft.response_id)
    return PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=draft.response_id)


def _choose_signal(store: Store, *, customer_id: str, signal_id: str | None) -> str:
    """The escalation a customer-scoped request is about: `signal_id` (which must be the customer's),
    else the customer's most urgent open escalation."""
    columns = ", ".join(RiskSignal.model_fields)
    with store.connection() as conn:
        customer = conn.execute("SELECT name FROM customers WHERE id = %s", (customer_id,)).fetchone()
        if customer is None:
            raise CustomerNotFound(f"customer '{customer_id}' not found")
        rows = conn.execute(f"SELECT {columns} FROM risk_signals WHERE customer_id = %s", (customer_id,)).fetchall()
    selection = select_escalation(
        signals=[RiskSignal(**row) for row in rows], customer_name=customer["name"], signal_id=signal_id
    )
    return selection.escalation.id


def open_draft(
    store: Store,
    *,
    customer_id: str,
    policy: Policy,
    signal_id: str | None = None,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> tuple[Draft, bool]:
    """The prepared draft of a customer's escalation, or a new one; returns (draft, created).

    The escalation is `signal_id` (it must belong to the customer), else the customer's most urgent
    open one. The newest response of it still in `drafted` state (the worker's pre-draft, or a draft
    the CSM is editing) is returned as it stands, so the alert's quick action opens at once. With
    `instructions`, or when there is no such draft, a new draft is made.

    Raises:
        CustomerNotFound: No such customer.
        NotFound: `signal_id` is not a signal of this customer.
        NoOpenEscalation / NotAnEscalation: Nothing to answer.
    """
    chosen = _choose_signal(store, customer_id=customer_id, signal_id=signal_id)
    with _signal_lock(store, chosen):
        prepared = None if instructions else _newest_response(store, signal_id=chosen, status="drafted")
        if prepared is not None:
            return load_draft(store, response_id=prepared), False
        draft = create_response(
            store, signal_id=chosen, policy=policy, llm=llm, instructions=instructions, actor=actor, now=now
        )
    return draft, True


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
