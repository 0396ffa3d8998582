"""Builders for tool results and chat histories used by the offline chat model tests.

The worlds here are not the demo: a German logistics customer and a Japanese one, so nothing
the model says can come from demo literals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool

from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.workflow.triage import OpenEscalation
from communicator_escalation.agent.tools.args import TOOL_ARGS, ToolName
from communicator_escalation.models import ReviewNote
from communicator_escalation.agent.tools.results import (
    ApprovalSummary,
    ContextResult,
    CustomerRef,
    DraftResult,
    EscalationDetails,
    EscalationRef,
    HealthSummary,
    InboxResult,
    PersonRef,
    Recipient,
    SendResult,
    SlaSummary,
    SuggestedCc,
)

NOW = datetime(2027, 2, 3, 9, 30, tzinfo=UTC)
MUELLER = CustomerRef(id="kd-77", name="Müller Logistik GmbH")
SAKURA = CustomerRef(id="jp-3", name="株式会社サクラ")


def context_result(
    *,
    customer: CustomerRef = MUELLER,
    signal_id: str = "SIG/2027/0042",
    others: Sequence[EscalationRef] = (),
) -> ContextResult:
    """A gathered context for a billing escalation raised by the customer's head of IT."""
    return ContextResult(
        signal_id=signal_id,
        customer=customer,
        details=EscalationDetails(
            signal_type="ticket_escalated",
            source="support_ticket",
            escalation_type="billing",
            severity="critical",
            title="Rechnungsexport bricht ab",
            issue="Invoice export aborts for all warehouses",
            reporter=PersonRef(id="ct-1", name="Anna Schäfer", title="Head of IT", role="executive"),
            ticket_id="TK-555",
            detected_at=NOW,
            unresolved_for_hours=121.0,
            arr=1_240_000,
            tier="enterprise",
            health=HealthSummary(score=48, trend="declining", change=-12, window_days=60),
            days_to_renewal=45,
        ),
        other_open_escalations=list(others),
    )


def draft_result(
    *,
    response_id: str = "resp-9f2",
    customer: CustomerRef = MUELLER,
    signal_id: str = "SIG/2027/0042",
    suggested: Sequence[SuggestedCc] | None = None,
    **changes: Any,
) -> DraftResult:
    """A stored draft for the customer."""
    suggestions = (
        [
            SuggestedCc(name="Jonas Weber", label="Your manager", reason="Critical escalation from an executive"),
            SuggestedCc(name="Leila Haddad", label="Billing Specialist", reason="Invoice dispute needs billing"),
        ]
        if suggested is None
        else list(suggested)
    )
    data: dict[str, Any] = {
        "response_id": response_id,
        "signal_id": signal_id,
        "status": "drafted",
        "customer": customer,
        "to": Recipient(name="Anna Schäfer", email="anna.schaefer@mueller-logistik.de"),
        "cc": [],
        "subject": "Re: Rechnungsexport – our response",
        "body": "Sehr geehrte Frau Schäfer,\n\nthank you for raising this.\n\nMit freundlichen Grüßen\nKarl",
        "suggested_ccs": suggestions,
        "review_notes": [ReviewNote(kind="advisory", code="owner_to_name",
                                    text='Nobody is named for "the export fix": name the owner if you can')],
        "sla": SlaSummary(urgency="due_soon", first_response_due=NOW, minutes_to_first_response_due=42),
    }
    data.update(changes)
    return DraftResult(**data)


def send_result(*, status: str = "sent", urgent: bool = True, **changes: Any) -> SendResult:
    """A send outcome for the Müller draft."""
    data: dict[str, Any] = {
        "response_id": "resp-9f2",
        "status": status,
        "urgent": urgent,
        "customer": MUELLER,
        "to": Recipient(name="Anna Schäfer", email="anna.schaefer@mueller-logistik.de"),
        "approval": ApprovalSummary(id="apr-31", status="approved", decided_by="policy:expedited", expedited=True),
        "email_id": "msg-8812",
        "response_minutes": 37,
        "sla_met": True,
    }
    data.update(changes)
    return SendResult(**data)


def escalation_tools() -> list[StructuredTool]:
    """The ten tool schemas, bound without behaviour (the model never runs tools itself)."""

    def unused(**kwargs: Any) -> str:
        raise AssertionError("the model must not run tools")

    return [
        StructuredTool.from_function(func=unused, name=name.value, description=name.value, args_schema=schema)
        for name, schema in TOOL_ARGS.items()
    ]


def bound_model(names: Sequence[ToolName] | None = None, **kwargs: Any) -> Any:
    """OfflineChatModel bound to all tools, or to the named ones."""
    tools = [t for t in escalation_tools() if names is None or t.name in {n.value for n in names}]
    return OfflineChatModel().bind_tools(tools, **kwargs)


def answer_tool_call(messages: list[BaseMessage], ai: AIMessage, content: str, **kwargs: Any) -> None:
    """Append the AI message and the ToolMessage answering its only call."""
    (call,) = ai.tool_calls
    messages += [ai, ToolMessage(content=content, tool_call_id=call["id"], name=call["name"], **kwargs)]


def history_with_draft(draft: DraftResult | None = None) -> list[BaseMessage]:
    """A finished draft turn (request, tool calls, results, final answer)."""
    draft = draft or draft_result()
    ctx = context_result(customer=draft.customer, signal_id=draft.signal_id)
    return [
        HumanMessage(f"Draft escalation response for {draft.customer.name}"),
        AIMessage(content="", tool_calls=[{"name": "gather_escalation_context", "args": {"customer": draft.customer.name}, "id": "c1"}]),
        ToolMessage(content=ctx.to_content(), tool_call_id="c1", name="gather_escalation_context"),
        AIMessage(content="", tool_calls=[{"name": "draft_escalation_response", "args": {"signal_id": draft.signal_id}, "id": "c2"}]),
        ToolMessage(content=draft.to_content(), tool_call_id="c2", name="draft_escalation_response"),
        AIMessage(content="(draft card)"),
    ]


def inbox_result() -> InboxResult:
    """Two open escalations: Müller's (breached) first, then Sakura's."""
    def item(customer: CustomerRef, signal_id: str, severity: str, kind: str, title: str, minutes: int) -> OpenEscalation:
        return OpenEscalation(
            signal_id=signal_id, customer_id=customer.id, customer=customer.name, severity=severity,  # type: ignore[arg-type]
            escalation_type=kind, signal_type="ticket_escalated", title=title, detected_at=NOW,  # type: ignore[arg-type]
            first_response_due=NOW, minutes_to_first_response_due=minutes,
            urgency="breached" if minutes < 0 else "on_track", answered=False,
            arr=120_000.0, health_score=55, health_trend="declining", health_change=-12,
        )

    return InboxResult(scope="all", total=2, escalations=[
        item(MUELLER, "SIG/2027/0042", "critical", "billing", "Rechnungsexport bricht ab", -75),
        item(SAKURA, "jp-sig-1", "high", "technical", "ログインできない", 50),
    ])
