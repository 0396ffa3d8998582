"""Send with approval, as every door offers it: ask (expedited when urgent) and send; decide and send.

The CLI, the API and the agent's send tool call these functions, never `send_response` or
`approve_send` on their own, so "approve then send" is written once. Every function takes the actor
and applies the access rule: approvals and responses of customers a staff member may not reach do
not exist for them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ...auth.access import acting_staff, require_response_reach, visible_response_ids
from ...auth.actor import Actor
from ...config import Settings
from ...mail.factory import Transport
from ...store import Store
from ..policy import Policy
from .approval import (
    ApprovalStatus,
    ApprovalView,
    approval_status,
    approve_send,
    list_approvals,
    reject_send,
    submit_for_approval,
)
from .sending import SendOutcome, send_response

__all__ = [
    "DecisionResult",
    "approvals_for",
    "approval_status_for",
    "decide_approval",
    "request_approval_only",
    "send_with_approval",
]


class DecisionResult(BaseModel):
    """An approval decision, and the send an approval sets off."""

    approval: ApprovalStatus = Field(description="Where the approval stands after the decision.")
    send: SendOutcome | None = Field(default=None, description="The send that followed an approval; null on reject.")


def send_with_approval(
    store: Store,
    *,
    actor: Actor,
    response_id: str,
    transport: Transport,
    policy: Policy,
    settings: Settings | None = None,
    urgent: bool = False,
    expected_content_hash: str | None = None,
    now: datetime | None = None,
) -> SendOutcome:
    """Ask for approval (expedited when `urgent` and the policy allows) and send once approved.

    Raises:
        NotFound: No such response, one the actor may not reach, or an unknown actor.
        ContentChanged, AlreadyAnswered, Refused, InvalidHeaderError: As `send_response`.
    """
    return send_response(
        store, response_id=response_id, mailer=transport.mailer, actor_id=actor.staff_id, urgent=urgent,
        policy=policy, settings=settings, notifier=transport.notifier, expected_content_hash=expected_content_hash,
        now=now,
    )


def request_approval_only(
    store: Store,
    *,
    actor: Actor,
    response_id: str,
    transport: Transport,
    policy: Policy,
    urgent: bool = False,
    now: datetime | None = None,
) -> ApprovalStatus:
    """Ask for approval (expedited when `urgent` and the policy allows) and send nothing: for a door
    without a review card (MCP); a person sends it later, and that send checks the content again.

    Raises:
        NotFound: No such response, one the actor may not reach, or an unknown actor.
        Refused: Wrong state or no To recipient.
    """
    return submit_for_approval(store, response_id=response_id, actor_id=actor.staff_id, urgent=urgent,
                               policy=policy.approval, email=policy.email, mailer=transport.notifier, now=now)


def decide_approval(
    store: Store,
    *,
    actor: Actor,
    approval_id: str,
    approve: bool,
    transport: Transport,
    policy: Policy,
    settings: Settings | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> DecisionResult:
    """Approve a pending request and send the response at once, or reject it (the CSM is told).

    Raises:
        NotFound: No such approval, one of a customer the actor may not reach, or an unknown actor.
        ApproverRequired: The actor reaches the customer but is neither an approver nor the CSM's manager.
        Refused: Own send, not pending, content changed.
    """
    decide = approve_send if approve else reject_send
    status = decide(store, approval_id=approval_id, actor_id=actor.staff_id, reason=reason, policy=policy.approval,
                    mailer=transport.notifier, now=now)
    if not approve:
        return DecisionResult(approval=status)
    sent = send_with_approval(store, actor=actor, response_id=status.response_id, transport=transport,
                              policy=policy, settings=settings, now=now)
    return DecisionResult(approval=approval_status(store, response_id=status.response_id), send=sent)


def approval_status_for(store: Store, *, actor: Actor, response_id: str) -> ApprovalStatus:
    """Where a response's approval stands, for an actor who reaches its customer.

    Raises:
        NotFound: No such response, one the actor may not reach, or an unknown actor.
    """
    with store.connection() as conn:
        require_response_reach(conn, actor=actor, response_id=response_id)
    return approval_status(store, response_id=response_id)


def approvals_for(store: Store, *, actor: Actor, status: str | None = "pending") -> list[ApprovalView]:
    """Approval requests of the customers the actor reaches, highest priority and oldest first.

    Args:
        store: The database.
        actor: Who looks; the account's CSM (the operator) sees every request.
        status: pending, approved, rejected or void; None lists every state.
    """
    with store.connection() as conn:
        staff = acting_staff(conn, actor)
        visible = visible_response_ids(conn, actor=staff) if staff is not None else None
    found = list_approvals(store, status=status)
    return [item for item in found if visible is None or item.response_id in visible]
