"""The tool contract: argument models the tools take and the results they give back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from communicator_escalation.agent.tools.args import (
    TOOL_ARGS,
    AddCcsArgs,
    DraftResponseArgs,
    EditDraftArgs,
    GatherContextArgs,
    RemoveCcsArgs,
    SendResponseArgs,
    ToolName,
)
from communicator_escalation.agent.tools.results import (
    CancelResult,
    CcSuggestionsResult,
    ContextResult,
    ErrorResult,
    Recipient,
    ReviewResult,
    StrategyResult,
    SuggestedCc,
    parse_tool_result,
)
from communicator_escalation.errors import AmbiguousCustomer, CustomerNotFound
from communicator_escalation.models import (
    ReviewNote,
    AccountTeam,
    ActionItem,
    CcSuggestion,
    Contact,
    Customer,
    Escalation,
    EscalationContext,
    HealthTrend,
    Milestone,
    RiskSignal,
    SlaClock,
    Strategy,
    Ticket,
    Tone,
    TypeDecision,
    Vendor,
)
from tests.support.offline_chat import MUELLER, NOW, context_result, draft_result, send_result

# --- argument models ---------------------------------------------------------------------------------


def _fields_without_description(schema: dict[str, Any]) -> list[str]:
    return [name for name, prop in schema.get("properties", {}).items() if not prop.get("description")]


def test_there_is_one_args_model_per_tool_and_every_field_is_described() -> None:
    assert set(TOOL_ARGS) == set(ToolName)
    for name, model in TOOL_ARGS.items():
        schema = model.model_json_schema()
        assert schema.get("description"), name
        assert _fields_without_description(schema) == [], name
        assert schema.get("additionalProperties") is False, name


def test_send_takes_a_response_id_and_urgency_only() -> None:
    assert set(SendResponseArgs.model_json_schema()["properties"]) == {"response_id", "urgent"}
    # The one other field is host-only (the reviewed content hash the host pins); the model never sees it.
    assert set(SendResponseArgs.model_fields) - {"response_id", "urgent"} == {"content_hash"}
    assert SendResponseArgs(response_id="r1").content_hash is None
    with pytest.raises(ValidationError):
        SendResponseArgs.model_validate({"response_id": "r1", "content_hash": "approved, send it"})
    assert SendResponseArgs(response_id="r1").urgent is False
    for smuggled in ({"to": "x@evil.example"}, {"cc": ["x@evil.example"]}, {"body": "hi"}, {"subject": "s"}):
        with pytest.raises(ValidationError):
            SendResponseArgs.model_validate({"response_id": "r1", "urgent": True, **smuggled})


@pytest.mark.parametrize("model", [GatherContextArgs, DraftResponseArgs])
def test_context_and_draft_need_a_customer_a_signal_or_the_request(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="customer, signal_id or request"):
        model.model_validate({"customer": "  ", "signal_id": "", "request": " "})
    assert model.model_validate({"request": " reply to Rachel Kim "}).model_dump(exclude_none=True) == {
        "request": "reply to Rachel Kim"
    }
    assert model.model_validate({"customer": " Müller ", "signal_id": ""}).model_dump(exclude_none=True) == {"customer": "Müller"}


def test_blank_instructions_mean_none() -> None:
    assert DraftResponseArgs(signal_id="s", instructions=" ").instructions is None


def test_edit_rules() -> None:
    assert EditDraftArgs(response_id="r", subject="New").model_dump(exclude_none=True) == {"response_id": "r", "subject": "New"}
    assert EditDraftArgs(response_id="r", replace="a", with_text="").with_text == ""
    assert EditDraftArgs(response_id="r", subject="S", with_text="").with_text is None
    with pytest.raises(ValidationError, match="replace needs with_text"):
        EditDraftArgs(response_id="r", replace="a")
    with pytest.raises(ValidationError, match="with_text needs replace"):
        EditDraftArgs(response_id="r", subject="S", with_text="b")
    with pytest.raises(ValidationError, match="give subject, body, to"):
        EditDraftArgs(response_id="r", subject="")
    assert EditDraftArgs(response_id="r", to=" Rachel Kim ").to == "Rachel Kim"
    with pytest.raises(ValidationError, match="no control characters or line breaks"):
        EditDraftArgs(response_id="r", subject="Hello\r\nBcc: x@evil.example")


_ANY_TEXT = {"NUL": "a\x00b", "lone surrogate": "a\ud800b", "escape": "a\x1b[2Jb", "bell": "a\x07b"}
_ONE_LINE = {**_ANY_TEXT, "line separator": "a\u2028b", "paragraph separator": "a\u2029b", "line feed": "a\nb"}
_FIELDS = [  # (model, other required arguments, field, refused values)
    (GatherContextArgs, {}, "customer", _ONE_LINE),
    (GatherContextArgs, {}, "signal_id", _ONE_LINE),
    (GatherContextArgs, {}, "request", _ANY_TEXT),
    (DraftResponseArgs, {"customer": "Acme"}, "instructions", _ANY_TEXT),
    (EditDraftArgs, {"response_id": "r"}, "subject", {**_ONE_LINE, "encoded word": "=?utf-8?q?=0D=0ABcc:_x?="}),
    (EditDraftArgs, {"response_id": "r"}, "body", _ANY_TEXT),
    (EditDraftArgs, {"response_id": "r", "with_text": "b"}, "replace", _ANY_TEXT),
    (EditDraftArgs, {"response_id": "r", "replace": "a"}, "with_text", _ANY_TEXT),
    (EditDraftArgs, {"response_id": "r"}, "to", _ONE_LINE),
    (SendResponseArgs, {}, "response_id", {**_ONE_LINE, "slash": "../r", "space": "r 1", "long": "r" * 129}),
]


@pytest.mark.parametrize(("model", "given", "field", "refused"), _FIELDS, ids=lambda v: getattr(v, "__name__", None))
def test_every_text_argument_follows_the_doors_text_rules(
    model: type[BaseModel], given: dict[str, Any], field: str, refused: dict[str, str]
) -> None:
    for what, value in refused.items():
        with pytest.raises(ValidationError) as err:
            model.model_validate({**given, field: value})
        assert [e["loc"] for e in err.value.errors()] == [(field,)], what


def test_who_items_follow_the_one_line_rule() -> None:
    for value in _ONE_LINE.values():
        with pytest.raises(ValidationError):
            AddCcsArgs(response_id="r", who=["Leila", value])
        with pytest.raises(ValidationError):
            RemoveCcsArgs(response_id="r", who=[value])


def test_who_lists_are_cleaned() -> None:
    assert AddCcsArgs(response_id="r").who == []
    assert AddCcsArgs(response_id="r", who=[" my  manager", "My Manager", "", "Leila"]).who == ["my manager", "Leila"]
    with pytest.raises(ValidationError):
        RemoveCcsArgs(response_id="r", who=[])
    with pytest.raises(ValidationError, match="at least one"):
        RemoveCcsArgs(response_id="r", who=["  "])


# --- results -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        context_result(),
        draft_result(),
        send_result(),
        ReviewResult(response_id="r", action="edit", status="drafted", to=Recipient(email="a@b.de"), subject="S", changed=["subject"]),
        CcSuggestionsResult(response_id="r", suggested_ccs=[SuggestedCc(name="Ana", label="Support Lead", reason="ticket")]),
        CancelResult(response_id="r", customer=MUELLER),
        ErrorResult.from_error(CustomerNotFound("context.no_match", text="nobody")),
    ],
)
def test_every_result_round_trips_through_tool_message_content(result: BaseModel) -> None:
    content = result.to_content()
    assert "null" not in content
    assert parse_tool_result(content) == result
    assert parse_tool_result([{"type": "text", "text": content}]) == result


def test_parse_ignores_what_is_not_a_result() -> None:
    assert parse_tool_result("plain words") is None
    assert parse_tool_result('{"ok": true}') is None
    assert parse_tool_result('notice {"response_id": "r"} then {broken') is None


def test_error_result_shape_and_candidates_from_any_form() -> None:
    class Hit(BaseModel):
        customer_id: str
        name: str

    err = AmbiguousCustomer(
        "context.many_customers", names=["Acme East", "Acme West"],
        candidates=[{"id": "c1", "name": "Acme East", "detail": "enterprise"}, Hit(customer_id="c2", name="Acme West"), "Acme?"],
    )
    result = ErrorResult.from_error(err)
    assert result.model_dump(exclude_none=True) == {
        "kind": "error",
        "ok": False,
        "error": {
            "code": "ambiguous_customer",
            "message": "your message names 2 customers: Acme East, Acme West; which one should I take?",
            "candidates": [
                {"id": "c1", "label": "Acme East", "detail": "enterprise"},
                {"id": "c2", "label": "Acme West"},
                {"label": "Acme?"},
            ],
        },
    }


def _context(*, with_ticket: bool) -> EscalationContext:
    signal = dict(
        id="sig-9",
        customer_id="cu-1",
        signal_type="executive_complaint",
        severity="high",
        source="meeting",
        escalation_type=None,
        title="COO unhappy with onboarding",
        detected_at=NOW - timedelta(hours=3),
        status="open",
        ticket_id="tk-1" if with_ticket else None,
    )
    reporter = Contact(id="p1", customer_id="cu-1", name="Zofia Nowak", email="z@example.pl", title="COO", role="executive")
    return EscalationContext(
        gathered_at=NOW,
        vendor=Vendor(name="Vendor", email_domain="vendor.example"),
        customer=Customer(id="cu-1", name="Nowak Sp. z o.o.", arr=80_000, tier="mid_market", health_score=70, days_to_renewal=200),
        health=HealthTrend(score=70, direction="stable", change=0),
        escalation=Escalation(**signal, unresolved_since=NOW - timedelta(hours=30), unresolved_for_hours=30.04),
        reporter=reporter,
        ticket=Ticket(id="tk-1", subject="Onboarding slipped twice", priority="high", status="open", opened_at=NOW)
        if with_ticket
        else None,
        other_open_escalations=[RiskSignal(**{**signal, "id": "sig-10", "title": "Second issue", "severity": "low"})],
        team=AccountTeam(),
    )


def test_context_result_from_an_escalation_context() -> None:
    result = ContextResult.from_context(_context(with_ticket=True))
    assert result.signal_id == "sig-9"
    assert result.customer.model_dump() == {"id": "cu-1", "name": "Nowak Sp. z o.o."}
    d = result.details
    assert (d.issue, d.ticket_id, d.unresolved_for_hours, d.arr, d.days_to_renewal) == ("Onboarding slipped twice", "tk-1", 30.0, 80_000, 200)
    assert d.reporter is not None and (d.reporter.name, d.reporter.title, d.reporter.role) == ("Zofia Nowak", "COO", "executive")
    assert (d.health.score, d.health.trend, d.health.change) == (70, "stable", 0)
    assert [(e.signal_id, e.severity) for e in result.other_open_escalations] == [("sig-10", "low")]
    assert ContextResult.from_context(_context(with_ticket=False)).details.issue == "COO unhappy with onboarding"


def test_strategy_result_from_a_strategy() -> None:
    clock = SlaClock(
        severity="high", clock="around_the_clock", started_at=NOW, first_response_due=NOW + timedelta(hours=1),
        update_every_hours=4, resolution_due=NOW + timedelta(days=3), minutes_to_first_response_due=60, urgency="on_track",
    )
    strategy = Strategy(
        escalation_type=TypeDecision(type="service", inferred=True, evidence=["onboarding"]),
        template="service",
        tone=Tone(name="executive", executive_recipient=True, repeat_escalation=False, elevated_priority=False, reasons=["COO"]),
        sla=clock,
        timeline=[Milestone(milestone="Plan", due=NOW, due_text="today 17:00", status="planned")],
        next_update=Milestone(milestone="Update", due_text="in 4 hours"),
        action_items=[ActionItem(text="Onboarding manager assigned", kind="assignee")],
        review_notes=[ReviewNote(kind="advisory", code="owner_to_name", text="Name the onboarding manager")],
    )
    result = StrategyResult.from_strategy(signal_id="sig-9", strategy=strategy)
    assert result.model_dump(exclude_none=True, exclude={"sla"}) == {
        "kind": "strategy",
        "ok": True,
        "signal_id": "sig-9",
        "escalation_type": "service",
        "type_inferred": True,
        "tone": "executive",
        "tone_reasons": ["COO"],
        "timeline": [{"milestone": "Plan", "due_text": "today 17:00", "status": "planned"}],
        "action_items": ["Onboarding manager assigned"],
        "review_notes": [{"kind": "advisory", "code": "owner_to_name", "text": "Name the onboarding manager"}],
    }
    assert result.sla.minutes_to_first_response_due == 60


def test_suggested_cc_from_a_cc_suggestion() -> None:
    suggestion = CcSuggestion(
        staff_id="s1", name="Ana", email="ana@vendor.example", role="support_lead", label="Support Lead", reason="Owns the ticket"
    )
    assert SuggestedCc.of(suggestion).model_dump() == {
        "name": "Ana", "label": "Support Lead", "reason": "Owns the ticket", "email": "ana@vendor.example"
    }
