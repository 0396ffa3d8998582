"""Drafting and Step 4 over HTTP: the PRD's draft endpoint, review, send and approval decisions.

Every route needs a bearer token and calls one workflow function as the token's staff member; the
workflow applies the access rule (customers they may not reach read as 404) and its state checks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, Field

from ...auth.actor import Actor
from ...errors import InvalidRequest
from ...models import Draft
from ...safe_text import MAX_SUBJECT_LENGTH, HeaderLine, MultiLine, SingleLine
from ...workflow.delivery.approval import ApprovalStatus, ApprovalView
from ...workflow.delivery.send_with_approval import (
    DecisionResult,
    approval_status_for,
    approvals_for,
    decide_approval,
    send_with_approval,
)
from ...workflow.delivery.sending import SendOutcome
from ...workflow.drafting.open import open_or_create_draft
from ...workflow.review.edits import ResponseView, add_cc, get_response, remove_cc, revise_response
from ..auth import CurrentActor
from ..deps import Delivery, DeliveryDep, LlmDep, PolicyDep, StoreDep
from ..errors import ERROR_RESPONSES, ErrorBody
from ..strict import ApprovalFilter, ApprovalId, CustomerRef, ResponseId, StrictBody, WorldId

router = APIRouter(prefix="/api", tags=["escalation responses"])

_MAX_TEXT = 50_000
_MAX_WHO = 320


class DraftRequest(StrictBody):
    """Optional choices for a draft."""

    signal_id: WorldId | None = Field(
        default=None, description="Escalation to answer; default: the most urgent open one."
    )
    instructions: MultiLine | None = Field(
        default=None,
        max_length=2000,
        description="What the CSM wants differently. Always makes a new draft (otherwise a prepared one is reused).",
    )
    new: bool = Field(default=False, description="Make a new draft even when the escalation has an open one.")


class TextReplacement(StrictBody):
    """Replace every occurrence of a piece of text in the subject and body."""

    old: MultiLine = Field(min_length=1, max_length=_MAX_TEXT, description="Text to find.")
    new: MultiLine = Field(max_length=_MAX_TEXT, description="Text to put instead.")


class ResponseEdit(StrictBody):
    """Changes to a draft; give at least one."""

    subject: HeaderLine | None = Field(
        default=None, max_length=MAX_SUBJECT_LENGTH,
        description="New subject: one line, no control characters, line separators or encoded-words.",
    )
    body: MultiLine | None = Field(default=None, max_length=_MAX_TEXT, description="New plain-text body.")
    replace: TextReplacement | None = Field(default=None, description="Text replacement in subject and body.")
    to: SingleLine | None = Field(
        default=None, max_length=_MAX_WHO, description="Another contact of the same customer (id, email or name)."
    )


class CcChange(StrictBody):
    """Internal CCs to add and remove: staff ids, emails, names or roles such as 'support lead'."""

    add: list[Annotated[SingleLine, Field(max_length=_MAX_WHO)]] = Field(
        default_factory=list, max_length=20, description="Staff to add, in order."
    )
    remove: list[Annotated[SingleLine, Field(max_length=_MAX_WHO)]] = Field(
        default_factory=list, max_length=20, description="Staff to remove, in order."
    )


class SendRequest(StrictBody):
    """How to send."""

    urgent: bool = Field(default=False, description="'Send Urgently': expedited approval per the policy.")


class Decision(StrictBody):
    """An approver's decision."""

    reason: MultiLine | None = Field(default=None, max_length=2000, description="Note to the CSM.")


class ResponseDetail(BaseModel):
    """A response as it stands, with where its approval stands."""

    response: ResponseView = Field(description="Recipients, subject, body and state.")
    approval: ApprovalStatus = Field(description="Approval request, decision and notifications.")


@router.post(
    "/customers/{customer_id}/escalation-response",
    response_model=Draft,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": Draft, "description": "The prepared draft of this escalation"}, **ERROR_RESPONSES},
    summary="Generate an escalation response draft",
)
def draft_escalation_response(
    customer_id: CustomerRef,
    store: StoreDep,
    policy: PolicyDep,
    llm: LlmDep,
    actor: CurrentActor,
    response: Response,
    ask: Annotated[DraftRequest | None, Body()] = None,
) -> Draft:
    """Draft the response to the customer's escalation (201), or return its prepared draft (200).

    `customer_id` is the customer's id (a name resolves too, as in the CLI and the chat). A draft still
    in `drafted` state for the same escalation (the background worker's pre-draft, or one being
    reviewed) is returned as it stands; `instructions` or `new` make a new draft.
    """
    ask = ask or DraftRequest()
    opened = open_or_create_draft(
        store, actor=actor, customer=customer_id, signal_id=ask.signal_id,
        instructions=ask.instructions, new=ask.new, policy=policy, llm=llm,
    )
    if not opened.created:
        response.status_code = status.HTTP_200_OK
    return opened.draft


@router.get("/escalation-responses/{response_id}", response_model=ResponseDetail, responses=ERROR_RESPONSES,
            summary="A response and its approval state")
def show_response(response_id: ResponseId, store: StoreDep, actor: CurrentActor) -> ResponseDetail:
    """The response's recipients, subject, body and state, with its approval request and notifications."""
    return ResponseDetail(
        response=get_response(store, response_id=response_id, actor=actor),
        approval=approval_status_for(store, actor=actor, response_id=response_id),
    )


@router.patch("/escalation-responses/{response_id}", response_model=ResponseView, responses=ERROR_RESPONSES,
              summary="Edit subject, body or To")
def edit(response_id: ResponseId, change: ResponseEdit, store: StoreDep, policy: PolicyDep,
         actor: CurrentActor) -> ResponseView:
    """Edit the draft (To first, then the text, all or nothing); an edit after approval voids the approval."""
    replace = (change.replace.old, change.replace.new) if change.replace else None
    return revise_response(store, response_id=response_id, actor=actor, to=change.to,
                           subject=change.subject, body=change.body, replace=replace, policy=policy)


@router.post("/escalation-responses/{response_id}/ccs", response_model=ResponseView, responses=ERROR_RESPONSES,
             summary="Add or remove internal CCs")
def change_ccs(response_id: ResponseId, change: CcChange, store: StoreDep, actor: CurrentActor) -> ResponseView:
    """Apply the additions, then the removals, in order; the first refusal stops and is reported."""
    if not change.add and not change.remove:
        raise InvalidRequest("requests.cc_change_empty")
    for person in change.add:
        add_cc(store, response_id=response_id, who=person, actor=actor)
    for person in change.remove:
        remove_cc(store, response_id=response_id, who=person, actor=actor)
    return get_response(store, response_id=response_id, actor=actor)


@router.post("/escalation-responses/{response_id}/send", response_model=SendOutcome, responses=ERROR_RESPONSES,
             summary="Send (urgently or not) through the approval")
def send(response_id: ResponseId, delivery: DeliveryDep, actor: CurrentActor,
         how: Annotated[SendRequest | None, Body()] = None) -> SendOutcome:
    """Ask for approval and send once approved: an expedited urgent send goes out at once, otherwise the
    outcome is `pending_approval` until an approver decides. Sending twice never sends twice."""
    return send_with_approval(delivery.store, actor=actor, response_id=response_id,
                              urgent=(how or SendRequest()).urgent, transport=delivery.transport,
                              policy=delivery.policy, settings=delivery.settings)


@router.get("/approvals", response_model=list[ApprovalView], responses=ERROR_RESPONSES, summary="Approval requests")
def approvals(
    store: StoreDep,
    actor: CurrentActor,
    query: ApprovalFilter,
) -> list[ApprovalView]:
    """Approval requests of the customers the caller reaches, highest priority and oldest first."""
    return approvals_for(store, actor=actor, status=None if query.status == "all" else query.status)


_DECISION_RESPONSES = {**ERROR_RESPONSES, 403: {"model": ErrorBody, "description": "Not an approver"}}
DecisionBody = Annotated[Decision | None, Body()]


def _decide(approval_id: str, delivery: Delivery, actor: Actor, decision: Decision | None, *,
            approve: bool) -> DecisionResult:
    """Approve (and send) or reject through `decide_approval`, the caller's `decision` giving the reason."""
    return decide_approval(delivery.store, actor=actor, approval_id=approval_id, approve=approve,
                           reason=(decision or Decision()).reason, transport=delivery.transport,
                           policy=delivery.policy, settings=delivery.settings)


@router.post("/approvals/{approval_id}/approve", response_model=DecisionResult, responses=_DECISION_RESPONSES,
             summary="Approve a send (and send it)")
def approve(approval_id: ApprovalId, delivery: DeliveryDep, actor: CurrentActor,
            decision: DecisionBody = None) -> DecisionResult:
    """Approve a pending request and send the response, as `escalation approvals approve` does."""
    return _decide(approval_id, delivery, actor, decision, approve=True)


@router.post("/approvals/{approval_id}/reject", response_model=DecisionResult, responses=_DECISION_RESPONSES,
             summary="Reject a send")
def reject(approval_id: ApprovalId, delivery: DeliveryDep, actor: CurrentActor,
           decision: DecisionBody = None) -> DecisionResult:
    """Reject a pending request with an optional reason; the CSM is notified and can edit and resend."""
    return _decide(approval_id, delivery, actor, decision, approve=False)
