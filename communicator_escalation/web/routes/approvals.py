"""The approvals page: pending requests with their full content, Approve or Reject with a reason.

The list refreshes itself (the page polls `/approvals/pending`, an HTML fragment); decisions go
through `decide_approval`, as `escalation approvals approve|reject` and the API's do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...api.deps import Delivery, DeliveryDep, StoreDep
from ...api.strict import ApprovalId
from ...auth.actor import Actor
from ...store import Store
from ...workflow.delivery.approval import ApprovalView
from ...workflow.delivery.send_with_approval import approval_status_for, approvals_for, decide_approval
from ...workflow.review.edits import ResponseView, get_response
from ..forms import ApprovalDecisionForm, QueryResponseId
from ..session import SignedInDep, page, web_router

router = web_router()


def _pending(store: Store, actor: Actor) -> list[tuple[ApprovalView, ResponseView]]:
    return [(a, get_response(store, response_id=a.response_id, actor=actor))
            for a in approvals_for(store, actor=actor, status="pending")]


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request, me: SignedInDep, store: StoreDep, decided: QueryResponseId = None) -> HTMLResponse:
    """Pending approval requests, highest priority first; after a decision, where it left the response."""
    actor = Actor(staff_id=me.staff.id)
    outcome = approval_status_for(store, actor=actor, response_id=decided) if decided else None
    return page(request, "approvals.html.j2", me=me.staff, pending=_pending(store, actor), outcome=outcome)


@router.get("/approvals/pending", response_class=HTMLResponse)
def pending_fragment(request: Request, me: SignedInDep, store: StoreDep) -> HTMLResponse:
    """The pending list alone, for the page's refresh."""
    return page(request, "_approval_list.html.j2", me=me.staff, pending=_pending(store, Actor(staff_id=me.staff.id)))


def _decide(approval_id: str, me_id: str, delivery: Delivery, *, approve: bool, reason: str) -> RedirectResponse:
    result = decide_approval(delivery.store, actor=Actor(staff_id=me_id), approval_id=approval_id, approve=approve,
                             reason=reason.strip() or None, transport=delivery.transport, policy=delivery.policy,
                             settings=delivery.settings)
    return RedirectResponse(f"/approvals?decided={result.approval.response_id}", status_code=303)


@router.post("/approvals/{approval_id}/approve")
def approve(approval_id: ApprovalId, me: SignedInDep, delivery: DeliveryDep,
            form: Annotated[ApprovalDecisionForm, Form()]) -> RedirectResponse:
    """Approve the request: the response is sent at once."""
    return _decide(approval_id, me.staff.id, delivery, approve=True, reason=form.reason)


@router.post("/approvals/{approval_id}/reject")
def reject(approval_id: ApprovalId, me: SignedInDep, delivery: DeliveryDep,
           form: Annotated[ApprovalDecisionForm, Form()]) -> RedirectResponse:
    """Reject the request with the reason; the CSM is told and can edit and send again."""
    return _decide(approval_id, me.staff.id, delivery, approve=False, reason=form.reason)
