"""Drafting and Step 4 over HTTP: the PRD's draft endpoint, review, send and approval decisions.

Every route needs a bearer token and only reaches customers the token's staff member may reach
(others read as 404). The workflow functions do the work and their own state and actor checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from ...agent.llm import make_chat_model
from ...auth.access import require_approval_access, visible_response_ids
from ...config import Settings
from ...errors import InvalidRequest
from ...mail.base import Mailer
from ...models import Draft
from ...workflow.delivery.approval import (
    ApprovalStatus,
    ApprovalView,
    approval_status,
    approve_send,
    list_approvals,
    reject_send,
)
from ...workflow.delivery.sending import SendOutcome, send_response
from ...workflow.drafting.open import open_draft
from ...workflow.review.edits import ResponseView, add_cc, change_recipient, edit_response, get_response, remove_cc
from ..auth import CurrentStaff, PolicyDep, VisibleCustomer, VisibleResponse
from ..deps import StoreDep
from ..errors import ERROR_RESPONSES, ErrorBody

router = APIRouter(prefix="/api", tags=["escalation responses"])

_RESPONSES = {401: {"model": ErrorBody, "description": "Missing or invalid bearer token"}, **ERROR_RESPONSES}


class DraftRequest(BaseModel):
    """Optional choices for a draft."""

    signal_id: str | None = Field(default=None, description="Escalation to answer; default: the most urgent open one.")
    instructions: str | None = Field(
        default=None,
        max_length=2000,
        description="What the CSM wants differently. Always makes a new draft (otherwise a prepared one is reused).",
    )


class TextReplacement(BaseModel):
    """Replace every occurrence of a piece of text in the subject and body."""

    old: str = Field(min_length=1, description="Text to find.")
    new: str = Field(description="Text to put instead.")


class ResponseEdit(BaseModel):
    """Changes to a draft; give at least one."""

    subject: str | None = Field(default=None, description="New subject (one line).")
    body: str | None = Field(default=None, description="New plain-text body.")
    replace: TextReplacement | None = Field(default=None, description="Text replacement in subject and body.")
    to: str | None = Field(default=None, description="Another contact of the same customer (id, email or name).")


class CcChange(BaseModel):
    """Internal CCs to add and remove: staff ids, emails, names or roles such as 'support lead'."""

    add: list[str] = Field(default_factory=list, description="Staff to add, in order.")
    remove: list[str] = Field(default_factory=list, description="Staff to remove, in order.")


class SendRequest(BaseModel):
    """How to send."""

    urgent: bool = Field(default=False, description="'Send Urgently': expedited approval per the policy.")


class Decision(BaseModel):
    """An approver's decision."""

    reason: str | None = Field(default=None, max_length=2000, description="Note to the CSM.")


class DecisionResult(BaseModel):
    """An approval decision, and the send an approval sets off."""

    approval: ApprovalStatus = Field(description="Where the approval stands after the decision.")
    send: SendOutcome | None = Field(default=None, description="The send that followed an approval; null on reject.")


class ResponseDetail(BaseModel):
    """A response as it stands, with where its approval stands."""

    response: ResponseView = Field(description="Recipients, subject, body and state.")
    approval: ApprovalStatus = Field(description="Approval request, decision and notifications.")


@dataclass(frozen=True)
class Transport:
    """The mail transport of the app: where responses go, and where approval notifications are emailed."""

    mailer: Mailer
    notifier: Mailer | None


def get_transport(request: Request) -> Transport:
    """The configured transport (local outbox by default), built once per app.

    Approval notifications are emailed through a configured provider; the local outbox only records them.
    """
    transport: Transport | None = getattr(request.app.state, "transport", None)
    if transport is None:
        from ...mail.factory import make_mailer  # imported on use: the Gmail client is heavy

        settings: Settings = request.app.state.settings
        mailer = make_mailer(settings)
        transport = Transport(mailer=mailer, notifier=mailer if settings.mail_transport != "outbox" else None)
        request.app.state.transport = transport
    return transport


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_drafting_llm(request: Request) -> BaseChatModel | None:
    """The chat model for the grounded rewrite (ChatOpenAI when configured), or None for template drafts."""
    if not hasattr(request.app.state, "drafting_llm"):
        request.app.state.drafting_llm = make_chat_model(request.app.state.settings)
    llm: BaseChatModel | None = request.app.state.drafting_llm
    return llm


TransportDep = Annotated[Transport, Depends(get_transport)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LlmDep = Annotated[BaseChatModel | None, Depends(get_drafting_llm)]


@router.post(
    "/customers/{customer_id}/escalation-response",
    response_model=Draft,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": Draft, "description": "The prepared draft of this escalation"}, **_RESPONSES},
    summary="Generate an escalation response draft",
)
def draft_escalation_response(
    customer_id: str,
    store: StoreDep,
    policy: PolicyDep,
    llm: LlmDep,
    actor: CurrentStaff,
    _visible: VisibleCustomer,
    response: Response,
    ask: Annotated[DraftRequest | None, Body()] = None,
) -> Draft:
    """Draft the response to the customer's escalation (201), or return its prepared draft (200).

    A draft still in `drafted` state for the same escalation (the background worker's pre-draft, or
    one being reviewed) is returned as it stands; `instructions` always make a new draft.
    """
    ask = ask or DraftRequest()
    draft, created = open_draft(
        store,
        customer_id=customer_id,
        signal_id=ask.signal_id,
        instructions=ask.instructions,
        policy=policy,
        llm=llm,
        actor=actor.id,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return draft


@router.get("/escalation-responses/{response_id}", response_model=ResponseDetail, responses=_RESPONSES,
            summary="A response and its approval state")
def show_response(response_id: str, store: StoreDep, _visible: VisibleResponse) -> ResponseDetail:
    """The response's recipients, subject, body and state, with its approval request and notifications."""
    return ResponseDetail(
        response=get_response(store, response_id=response_id),
        approval=approval_status(store, response_id=response_id),
    )


@router.patch("/escalation-responses/{response_id}", response_model=ResponseView, responses=_RESPONSES,
              summary="Edit subject, body or To")
def edit(response_id: str, change: ResponseEdit, store: StoreDep, policy: PolicyDep, actor: CurrentStaff,
         _visible: VisibleResponse) -> ResponseView:
    """Edit the draft; an edit after approval voids the approval."""
    text_change = change.subject is not None or change.body is not None or change.replace is not None
    if change.to is None and not text_change:
        raise InvalidRequest("nothing to edit: give subject, body, replace or to")
    view = None
    if change.to is not None:
        view = change_recipient(store, response_id=response_id, contact=change.to, actor_id=actor.id, policy=policy)
    if text_change:
        replace = (change.replace.old, change.replace.new) if change.replace else None
        view = edit_response(store, response_id=response_id, subject=change.subject, body=change.body,
                             replace=replace, actor_id=actor.id)
    assert view is not None
    return view


@router.post("/escalation-responses/{response_id}/ccs", response_model=ResponseView, responses=_RESPONSES,
             summary="Add or remove internal CCs")
def change_ccs(response_id: str, change: CcChange, store: StoreDep, actor: CurrentStaff,
               _visible: VisibleResponse) -> ResponseView:
    """Apply the additions, then the removals, in order; the first refusal stops and is reported."""
    if not change.add and not change.remove:
        raise InvalidRequest("nothing to change: give add or remove")
    for who in change.add:
        add_cc(store, response_id=response_id, who=who, actor_id=actor.id)
    for who in change.remove:
        remove_cc(store, response_id=response_id, who=who, actor_id=actor.id)
    return get_response(store, response_id=response_id)


@router.post("/escalation-responses/{response_id}/send", response_model=SendOutcome, responses=_RESPONSES,
             summary="Send (urgently or not) through the approval")
def send(response_id: str, store: StoreDep, policy: PolicyDep, settings: SettingsDep, transport: TransportDep,
         actor: CurrentStaff, _visible: VisibleResponse,
         how: Annotated[SendRequest | None, Body()] = None) -> SendOutcome:
    """Ask for approval and send once approved: an expedited urgent send goes out at once, otherwise the
    outcome is `pending_approval` until an approver decides. Sending twice never sends twice."""
    return send_response(store, response_id=response_id, urgent=(how or SendRequest()).urgent, actor_id=actor.id,
                         policy=policy, settings=settings, mailer=transport.mailer, notifier=transport.notifier)


@router.get("/approvals", response_model=list[ApprovalView], responses=_RESPONSES, summary="Approval requests")
def approvals(
    store: StoreDep,
    actor: CurrentStaff,
    state: Annotated[str | None, Query(alias="status", description="pending (default), approved, rejected, void or all")] = "pending",
) -> list[ApprovalView]:
    """Approval requests of the customers the caller reaches, highest priority and oldest first."""
    with store.connection() as conn:
        visible = visible_response_ids(conn, actor=actor)
    found = list_approvals(store, status=None if state == "all" else state)
    return [item for item in found if item.response_id in visible]


def _approver(approval_id: str, store: StoreDep, policy: PolicyDep, actor: CurrentStaff) -> None:
    """404 unless the caller reaches the approval's customer; 403 unless they may decide approvals."""
    with store.connection() as conn:
        require_approval_access(conn, actor=actor, approval_id=approval_id,
                                approver_roles=policy.approval.approver_roles)


_APPROVER = [Depends(_approver)]
_DECISION_RESPONSES = {403: {"model": ErrorBody, "description": "Not an approver"}, **_RESPONSES}


@router.post("/approvals/{approval_id}/approve", response_model=DecisionResult, dependencies=_APPROVER,
             responses=_DECISION_RESPONSES, summary="Approve a send (and send it)")
def approve(approval_id: str, store: StoreDep, policy: PolicyDep, settings: SettingsDep, transport: TransportDep,
            actor: CurrentStaff, decision: Annotated[Decision | None, Body()] = None) -> DecisionResult:
    """Approve a pending request and send the response, as `escalation approvals approve` does."""
    status = approve_send(store, approval_id=approval_id, actor_id=actor.id, reason=(decision or Decision()).reason,
                          policy=policy.approval, mailer=transport.notifier)
    sent = send_response(store, response_id=status.response_id, actor_id=actor.id, policy=policy, settings=settings,
                         mailer=transport.mailer, notifier=transport.notifier)
    return DecisionResult(approval=approval_status(store, response_id=status.response_id), send=sent)


@router.post("/approvals/{approval_id}/reject", response_model=DecisionResult, dependencies=_APPROVER,
             responses=_DECISION_RESPONSES, summary="Reject a send")
def reject(approval_id: str, store: StoreDep, policy: PolicyDep, transport: TransportDep, actor: CurrentStaff,
           decision: Annotated[Decision | None, Body()] = None) -> DecisionResult:
    """Reject a pending request with an optional reason; the CSM is notified and can edit and resend."""
    status = reject_send(store, approval_id=approval_id, actor_id=actor.id, reason=(decision or Decision()).reason,
                         policy=policy.approval, mailer=transport.notifier)
    return DecisionResult(approval=status)
