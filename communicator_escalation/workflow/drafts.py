"""Stored drafts seen from the chat: read a saved Draft back, discard one, check who may draft.

The agent's tools work on `escalation_responses` rows by id; the suggestions and notes of the
original draft live in its `draft` JSON, and a discarded draft is closed as `rejected` (it can
only be sent again after an edit returns it to `drafted`), with every pending approval voided.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import NotFound
from ..models import Draft, StaffMember
from ..store import Store
from ._rows import APPROVAL_ENTITY, audit, load_response, require_status, resolve_actor, set_status, staff_member, utcnow
from .access import require_customer_access, require_response_access

__all__ = ["CANCELLABLE_STATES", "cancel_response", "load_draft", "require_reach"]

CANCELLABLE_STATES = ("drafted", "pending_approval", "approved", "failed")


def load_draft(store: Store, *, response_id: str) -> Draft:
    """The Draft JSON saved with a response (its suggestions, notes and SLA at drafting time).

    Raises:
        NotFound: No such response.
    """
    with store.connection() as conn:
        row = conn.execute("SELECT draft FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()
    if row is None:
        raise NotFound(f"no escalation response '{response_id}'")
    return Draft.model_validate({**row["draft"], "response_id": response_id})


def require_reach(store: Store, *, actor_id: str, customer_id: str) -> StaffMember:
    """The acting staff member, when they may work on the customer.

    Raises:
        NotFound: No such staff member.
        CustomerNotFound: The actor may not reach the customer (the same answer as a missing one).
    """
    with store.connection() as conn:
        actor = staff_member(conn, actor_id)
        if actor is None:
            raise NotFound(f"no staff member '{actor_id}' in the directory")
        require_customer_access(conn, actor=actor, customer_id=customer_id)
    return actor


def cancel_response(store: Store, *, response_id: str, actor_id: str | None = None, now: datetime | None = None) -> None:
    """Discard a response that has not been sent: state `rejected`, pending approvals voided, audited.

    Raises:
        NotFound: No such response, or one the actor may not reach.
        Refused: The response is sending, sent, in an unknown send state, or already discarded.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_response_access(conn, actor=actor, response_id=response_id)
        require_status(row, CANCELLABLE_STATES, "discard it")
        voided = conn.execute(
            "UPDATE approval_requests SET status = 'void', decided_at = %s, decided_by = %s,"
            " reason = 'response discarded' WHERE response_id = %s AND status IN ('pending', 'approved') RETURNING id",
            (at, actor.id, response_id),
        ).fetchall()
        for approval in voided:
            audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval["id"], action="void",
                  detail={"reason": f"response {response_id} discarded"}, now=at)
        set_status(conn, row, "rejected", actor=actor.id, now=at, action="cancelled",
                   detail={"voided_approvals": [a["id"] for a in voided]})
