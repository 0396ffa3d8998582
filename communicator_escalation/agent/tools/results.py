"""What each escalation tool returns to the model: compact, typed results serialized as JSON.

Contract for the tools:
- A tool returns `result.to_content()` (a JSON string) as its ToolMessage content.
- Successful results carry `ok: true` and a `kind` naming the model; expected failures (unknown
  customer, no open escalation, refused CC, wrong state, unknown id) return an `ErrorResult`
  (`{"kind": "error", "ok": false, "error": {"code", "message", "candidates"}}`), never an exception.
- Results hold ids, names and short facts, never whole context dumps; the full objects live in the
  store. The draft body is the one long field, and only the draft and show tools return it in full.

Each result class says which tool returns it; any tool may return an `ErrorResult` (errors.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from communicator_escalation.models import (
    CustomerRef,
    EscalationContext,
    EscalationType,
    Recipient,
    ReviewNote,
    SignalHead,
    SlaSummary,
    Strategy,
    TrendDirection,
)
from communicator_escalation.workflow.delivery.approval import ApprovalHead
from communicator_escalation.workflow.triage import Inbox, OpenEscalation

from .errors import Candidate, ErrorDetail, ErrorResult, Part, Result

__all__ = [
    "ApprovalSummary", "CancelResult", "Candidate", "CcSuggestionsResult", "ContextResult", "CustomerRef", "DraftResult",
    "ErrorDetail", "ErrorResult", "EscalationDetails", "EscalationRef", "HealthSummary", "InboxResult", "MessageResult",
    "PersonRef", "Recipient", "RefusedItem", "ResponseResult", "ReviewResult", "SendResult", "SlaSummary", "StrategyResult",
    "SuggestedCc", "TimelineStep", "ToolResult", "parse_tool_result",
]

SendStatus = Literal["pending_approval", "approved", "sending", "sent", "failed", "unknown", "already_sent", "rejected"]
ReviewAction = Literal["edit", "add_ccs", "remove_ccs"]
DraftField = Literal["to", "cc", "subject", "body"]


class PersonRef(Part):
    """A customer contact, as shown to the CSM."""

    id: str | None = Field(default=None, description="Contact id.")
    name: str = Field(description="Full name.")
    title: str | None = Field(default=None, description="Job title, e.g. CTO.")
    role: str | None = Field(default=None, description="Relationship role, e.g. executive, technical, billing.")


class EscalationRef(Part, SignalHead):
    """Another escalation, in one line."""

    signal_id: str = Field(description="Risk signal id; draft for it with signal_id.")


class HealthSummary(Part):
    """Health score and its direction."""

    score: int = Field(description="Current health score 0-100.")
    trend: TrendDirection = Field(description="declining, stable or improving.")
    change: int = Field(description="Points changed over the window (negative = fell).")
    window_days: int | None = Field(default=None, description="Days the change was measured over.")


class SuggestedCc(Part):
    """An internal person the CSM may CC, with the reason."""

    name: str = Field(description="Staff name.")
    label: str = Field(description="Role as the CSM sees it, e.g. 'Your manager', 'Support Lead'.")
    reason: str = Field(description="Why this person is suggested.")
    email: str | None = Field(default=None, description="Staff email address.")


class EscalationDetails(Part, SignalHead):
    """The facts the CSM sees first (PRD 'Escalation Details')."""

    source: str = Field(description="Where it came from: support_ticket, direct_complaint, meeting, ...")
    issue: str = Field(description="The problem in one line: the ticket subject, else the signal title.")
    reporter: PersonRef | None = Field(default=None, description="Who raised it.")
    ticket_id: str | None = Field(default=None, description="Underlying support ticket.")
    unresolved_for_hours: float = Field(description="Hours the issue has been open (since the ticket was opened).")
    arr: float = Field(description="Customer annual recurring revenue, USD.")
    tier: str = Field(description="enterprise, mid_market or smb.")
    health: HealthSummary = Field(description="Health score and trend.")
    days_to_renewal: int | None = Field(default=None, description="Days to the next renewal.")


class ContextResult(Result):
    """Result of gather_escalation_context."""

    kind: Literal["context"] = "context"
    ok: Literal[True] = True
    signal_id: str = Field(description="The escalation this context is for; pass it on to the next tools.")
    customer: CustomerRef = Field(description="The customer.")
    details: EscalationDetails = Field(description="Escalation details.")
    other_open_escalations: list[EscalationRef] = Field(
        default_factory=list, description="The customer's other open escalations (each can be drafted by signal_id)."
    )
    named_by: list[str] = Field(default_factory=list, description="The CSM's words that named it, when read from `request`.")
    named_contact: str | None = Field(default=None, description="A contact of the customer the CSM named, if any.")

    @classmethod
    def from_context(cls, ctx: EscalationContext) -> ContextResult:
        """Compact result for a gathered EscalationContext."""
        esc, customer = ctx.escalation, ctx.customer
        details = EscalationDetails.of(
            esc,
            issue=ctx.ticket.subject if ctx.ticket else esc.title,
            reporter=PersonRef.of(ctx.reporter) if ctx.reporter else None,
            unresolved_for_hours=round(esc.unresolved_for_hours, 1),
            arr=customer.arr,
            tier=customer.tier,
            health=HealthSummary.of(ctx.health, trend=ctx.health.direction),
            days_to_renewal=customer.days_to_renewal,
        )
        return cls(signal_id=esc.id, customer=CustomerRef.of(customer), details=details,
                   other_open_escalations=[EscalationRef.of(s, signal_id=s.id) for s in ctx.other_open_escalations])


class TimelineStep(Part):
    """A promised milestone."""

    milestone: str = Field(description="What will be delivered.")
    due_text: str = Field(description="Due time in the customer's timezone.")
    status: Literal["planned", "identified", "done"] = Field(description="planned, identified or done.")


class StrategyResult(Result):
    """Result of pick_response_strategy."""

    kind: Literal["strategy"] = "strategy"
    ok: Literal[True] = True
    signal_id: str = Field(description="The escalation.")
    escalation_type: EscalationType = Field(description="Chosen type (= email template).")
    type_inferred: bool = Field(description="True when the type was inferred from the text.")
    tone: str = Field(description="executive, urgent, formal or warm.")
    tone_reasons: list[str] = Field(default_factory=list, description="Why this tone.")
    sla: SlaSummary = Field(description="First-response SLA.")
    timeline: list[TimelineStep] = Field(default_factory=list, description="Milestones the email will promise.")
    action_items: list[str] = Field(default_factory=list, description="Immediate actions, as sentences.")
    review_notes: list[ReviewNote] = Field(default_factory=list, description="Assumptions and gaps for the CSM.")

    @classmethod
    def from_strategy(cls, *, signal_id: str, strategy: Strategy) -> StrategyResult:
        """Compact result for a Strategy."""
        return cls(
            signal_id=signal_id,
            escalation_type=strategy.escalation_type.type,
            type_inferred=strategy.escalation_type.inferred,
            tone=strategy.tone.name,
            tone_reasons=list(strategy.tone.reasons),
            sla=SlaSummary.of(strategy.sla),
            timeline=[TimelineStep.of(m) for m in strategy.timeline],
            action_items=[item.text for item in strategy.action_items],
            review_notes=list(strategy.review_notes),
        )


class ResponseResult(Result):
    """A successful result about one stored response; `kind` names the subclass."""

    kind: str
    ok: Literal[True] = True
    response_id: str = Field(description="Id of the stored draft; every review and send tool takes it.")


class MessageResult(ResponseResult):
    """A result that shows the response's message as it stands: state, To, CC and subject."""

    status: str = Field(description="Response state: drafted, pending_approval, approved, sent, ...")
    to: Recipient = Field(description="The recipient (from the database).")
    cc: list[Recipient] = Field(default_factory=list, description="Internal CCs as they stand.")
    subject: str = Field(description="Subject line as it stands.")


class DraftResult(MessageResult):
    """Result of draft_escalation_response and show_escalation_draft."""

    kind: Literal["draft"] = "draft"
    signal_id: str = Field(description="The escalation it answers.")
    customer: CustomerRef = Field(description="The customer.")
    body: str = Field(description="Full body text.")
    suggested_ccs: list[SuggestedCc] = Field(default_factory=list, description="Suggested CCs not yet on the draft.")
    review_notes: list[ReviewNote] = Field(
        default_factory=list, description="What to check; blocking ones stop the send until the draft is fixed."
    )
    other_open_escalations: list[EscalationRef] = Field(default_factory=list, description="Other open escalations of the customer.")
    sla: SlaSummary = Field(description="First-response SLA.")
    tone: str = Field(default="", description="Tone of the draft.")
    tone_reasons: list[str] = Field(default_factory=list, description="Why this tone, incl. what the account's history taught.")
    named_by: list[str] = Field(default_factory=list, description="The CSM's words that named it, when read from `request`.")
    named_contact: str | None = Field(default=None, description="A contact of the customer the CSM named, if any.")


class RefusedItem(Part):
    """Something asked for that was not done."""

    item: str = Field(description="What was asked, e.g. a name or address.")
    reason: str = Field(description="Why it was refused.")


class ReviewResult(MessageResult):
    """Result of edit_escalation_draft, add_escalation_ccs and remove_escalation_ccs (the message after the action)."""

    kind: Literal["review"] = "review"
    action: ReviewAction = Field(description="edit, add_ccs or remove_ccs.")
    body: str | None = Field(default=None, description="Full body, only when this action changed it.")
    changed: list[DraftField] = Field(default_factory=list, description="Fields this action changed.")
    added: list[Recipient] = Field(default_factory=list, description="CCs added.")
    removed: list[Recipient] = Field(default_factory=list, description="CCs removed.")
    replacements: int | None = Field(default=None, description="Occurrences replaced by a replace edit.")
    refused: list[RefusedItem] = Field(default_factory=list, description="Requests not carried out, with reasons.")
    approval_voided: bool = Field(default=False, description="True when this change voided an earlier approval.")
    review_notes: list[ReviewNote] = Field(default_factory=list, description="New notes for the CSM, e.g. from the grounding check.")


class CcSuggestionsResult(ResponseResult):
    """Result of suggest_escalation_ccs."""

    kind: Literal["cc_suggestions"] = "cc_suggestions"
    cc: list[Recipient] = Field(default_factory=list, description="Current CCs.")
    suggested_ccs: list[SuggestedCc] = Field(default_factory=list, description="Suggested CCs not yet on the draft.")


class ApprovalSummary(Part, ApprovalHead):
    """The approval a send needs (`decided_by` names the approver)."""


class SendResult(ResponseResult):
    """Result of send_escalation_response."""

    kind: Literal["send"] = "send"
    status: SendStatus = Field(
        description="pending_approval, approved, sending, sent, failed, unknown (outcome being reconciled), "
        "already_sent or rejected (approval refused)."
    )
    urgent: bool = Field(description="Whether expedited approval was asked for.")
    customer: CustomerRef = Field(description="The customer.")
    to: Recipient = Field(description="The recipient.")
    approval: ApprovalSummary | None = Field(default=None, description="The approval request.")
    email_id: str | None = Field(default=None, description="Id of the sent email.")
    sent_at: datetime | None = Field(default=None, description="When it was sent.")
    response_minutes: int | None = Field(default=None, description="Minutes from escalation detection to the send.")
    sla_met: bool | None = Field(default=None, description="Whether the first-response SLA was met.")
    message: str | None = Field(default=None, description="Short explanation for failed, unknown or rejected.")


class CancelResult(ResponseResult):
    """Result of cancel_escalation_response."""

    kind: Literal["cancel"] = "cancel"
    status: Literal["cancelled"] = Field(default="cancelled", description="Always cancelled.")
    customer: CustomerRef = Field(description="The customer.")


class InboxResult(Result):
    """Result of list_open_escalations."""

    kind: Literal["open_escalations"] = "open_escalations"
    ok: Literal[True] = True
    scope: str = Field(description="mine, team or all.")
    updates: bool = Field(default=False, description="Only escalations whose next status update is owed.")
    total: int = Field(description="Open escalations in scope (before the limit).")
    escalations: list[OpenEscalation] = Field(default_factory=list, description="Most urgent first.")

    @classmethod
    def from_inbox(cls, inbox: Inbox) -> InboxResult:
        """Result for a triage inbox."""
        return cls(scope=inbox.scope, updates=inbox.updates, total=inbox.total, escalations=inbox.escalations)


ToolResult = Annotated[
    ContextResult
    | StrategyResult
    | DraftResult
    | ReviewResult
    | CcSuggestionsResult
    | SendResult
    | CancelResult
    | InboxResult
    | ErrorResult,
    Field(discriminator="kind"),
]
"""Any tool result, told apart by `kind`."""

_TOOL_RESULT: TypeAdapter[ToolResult] = TypeAdapter(ToolResult)


def parse_tool_result(content: str | list[Any]) -> ToolResult | None:
    """Read a ToolMessage's content back into a result model.

    Tolerates text and other JSON objects before the result (the reviewer-edit notice of the
    human-in-the-loop middleware quotes the edited arguments) and content-block lists.
    Returns None when the content holds no result.
    """
    text = content if isinstance(content, str) else "".join(
        block if isinstance(block, str) else str(block.get("text", "")) for block in content if isinstance(block, str | dict)
    )
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            data, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        try:
            return _TOOL_RESULT.validate_python(data)
        except ValidationError:
            start = text.find("{", end)
    return None
