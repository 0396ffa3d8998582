"""The offline chat model on hand-built conversations: intents, tool calls, answers, bound tools."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.notification import add_notification_metadata
from langchain_core.runnables import RunnableBinding
from pydantic import BaseModel

from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.agent.tools.results import (
    ApprovalSummary,
    CancelResult,
    Candidate,
    CcSuggestionsResult,
    ErrorDetail,
    ErrorResult,
    EscalationRef,
    Recipient,
    RefusedItem,
    ReviewResult,
    SlaSummary,
    StrategyResult,
    SuggestedCc,
    TimelineStep,
)
from tests.support.offline_chat import (
    MUELLER,
    inbox_result,
    NOW,
    SAKURA,
    answer_tool_call,
    bound_model,
    context_result,
    draft_result,
    escalation_tools,
    history_with_draft,
    send_result,
)


def _call(ai: AIMessage) -> tuple[str, dict]:
    assert ai.content == ""
    (call,) = ai.tool_calls
    return call["name"], call["args"]


def _in_order(text: str, *parts: str) -> None:
    positions = [text.index(p) for p in parts]
    assert positions == sorted(positions), positions


# --- binding -------------------------------------------------------------------------------


def test_bind_tools_accepts_the_tool_schemas_and_returns_a_binding() -> None:
    bound = OfflineChatModel().bind_tools(escalation_tools(), tool_choice="auto")
    assert isinstance(bound, RunnableBinding)
    names = [t["function"]["name"] for t in bound.kwargs["tools"]]
    assert names == [n.value for n in ToolName]
    send = next(t for t in bound.kwargs["tools"] if t["function"]["name"] == "send_escalation_response")
    assert set(send["function"]["parameters"]["properties"]) == {"response_id", "urgent"}


def test_without_bound_tools_it_answers_in_text() -> None:
    ai = OfflineChatModel().invoke([HumanMessage("Draft escalation response for Müller Logistik")])
    assert not ai.tool_calls
    assert ai.content == (
        "I can't draft the response here: the draft_escalation_response tool is not available to me in this conversation."
    )


def test_it_only_calls_bound_tools_and_says_which_one_is_missing() -> None:
    model = bound_model([ToolName.GATHER_CONTEXT])
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for Müller Logistik")]
    ai = model.invoke(messages)
    assert _call(ai) == ("gather_escalation_context", {"request": "Draft escalation response for Müller Logistik"})
    answer_tool_call(messages, ai, context_result().to_content())
    final = model.invoke(messages)
    assert not final.tool_calls
    assert "Escalation Details:" in final.content
    assert "draft_escalation_response tool is not available" in final.content


def test_draft_tool_alone_is_called_directly_when_context_tool_is_not_bound() -> None:
    model = bound_model([ToolName.DRAFT_RESPONSE])
    ai = model.invoke([HumanMessage("Draft escalation response for Müller Logistik, keep it short and formal")])
    assert _call(ai) == (
        "draft_escalation_response",
        {"request": "Draft escalation response for Müller Logistik, keep it short and formal",
         "instructions": "keep it short and formal"},
    )


def test_tool_choice_none_disables_calls_and_a_named_choice_restricts_them() -> None:
    ai = bound_model(tool_choice="none").invoke([HumanMessage("Draft escalation response for Müller Logistik")])
    assert not ai.tool_calls
    ai = bound_model(tool_choice="draft_escalation_response").invoke(
        [HumanMessage("Draft escalation response for Müller Logistik")]
    )
    assert _call(ai)[0] == "draft_escalation_response"
    ai = bound_model(tool_choice={"type": "function", "function": {"name": "gather_escalation_context"}}).invoke(
        [HumanMessage("Draft escalation response for Müller Logistik")]
    )
    assert _call(ai)[0] == "gather_escalation_context"


def test_structured_output_is_not_claimed() -> None:
    class Anything(BaseModel):
        value: str

    with pytest.raises(NotImplementedError, match="ChatOpenAI"):
        OfflineChatModel().with_structured_output(Anything)


# --- the draft flow --------------------------------------------------------------------------


def test_draft_request_gathers_context_then_drafts_then_renders_the_prd_shaped_answer() -> None:
    model = bound_model()
    messages: list[BaseMessage] = [SystemMessage("You are the Communicator."), HumanMessage("Draft escalation response for Müller")]
    ai = model.invoke(messages)
    assert _call(ai) == ("gather_escalation_context", {"request": "Draft escalation response for Müller"})
    answer_tool_call(messages, ai, context_result().to_content())

    ai = model.invoke(messages)
    assert _call(ai) == ("draft_escalation_response", {"signal_id": "SIG/2027/0042"})
    answer_tool_call(messages, ai, draft_result().to_content())

    final = model.invoke(messages).content
    _in_order(
        final,
        "I see Müller Logistik GmbH has an active escalation. Let me gather the context.",
        "Escalation Details:",
        "- Type: Support ticket escalated to executive (billing)",
        "- Severity: Critical",
        "- Issue: Invoice export aborts for all warehouses",
        "- Reported by: Head of IT Anna Schäfer",
        "- Ticket: TK-555",
        "- Duration: 5 days 1 hour unresolved",  # 121 hours
        "- Customer ARR: $1.2M",
        "- Health Score: 48 (declining, down 12 points in 60 days)",
        "- Renewal: in 45 days",
        "Generating response...",
        "📧 **Escalation Response Draft**",
        "To: Anna Schäfer <anna.schaefer@mueller-logistik.de>",
        "Subject: Re: Rechnungsexport – our response",
        "Sehr geehrte Frau Schäfer,",
        "Mit freundlichen Grüßen",
        "Suggested CCs: Your manager, Billing Specialist",
        "- Your manager: Jonas Weber. Critical escalation from an executive.",
        "- Billing Specialist: Leila Haddad. Invoice dispute needs billing.",
        "Please check before sending:",
        '- Nobody is named for "the export fix": name the owner if you can',
        "First response due in 42 minutes: send soon.",
        "[Edit] [Add CCs] [Send Urgently]",
    )


def test_other_open_escalations_are_listed_with_how_to_answer_them() -> None:
    other = EscalationRef(signal_id="SIG/2027/0050", signal_type="ticket_escalated",
                         title="Portal slow at month end", severity="low", detected_at=NOW)
    messages: list[BaseMessage] = [HumanMessage("Respond to Müller escalation")]
    model = bound_model()
    answer_tool_call(messages, model.invoke(messages), context_result(others=[other]).to_content())
    answer_tool_call(messages, model.invoke(messages), draft_result(other_open_escalations=[other]).to_content())
    final = model.invoke(messages).content
    assert "Müller Logistik GmbH has another open escalation:" in final
    assert "- SIG/2027/0050 (low): Portal slow at month end" in final
    assert 'say "Escalation response for signal SIG/2027/0050"' in final


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("Draft escalation response for DataFlow", {"request": "Draft escalation response for DataFlow"}),
        ("Respond to Northwind escalation", {"request": "Respond to Northwind escalation"}),
        ("respond to the escalation from Quillon Labs", {"request": "respond to the escalation from Quillon Labs"}),
        ("please draft an escalation response for DataFlow Inc.", {"request": "draft an escalation response for DataFlow Inc."}),
        ("Could you write an escalation reply to Acme, Inc.?", {"request": "write an escalation reply to Acme, Inc."}),
        ("DRAFT ESCALATION RESPONSE FOR 株式会社サクラ!!", {"request": "DRAFT ESCALATION RESPONSE FOR 株式会社サクラ"}),
        ("Reply to Ελληνικά Δίκτυα's escalation, thanks", {"request": "Reply to Ελληνικά Δίκτυα's escalation"}),
        ("Escalation response for signal rs-1001", {"signal_id": "rs-1001"}),
        ("escalation response for signal SIG/2027/0042", {"signal_id": "SIG/2027/0042"}),
        ("Respond to escalation ESC-77", {"request": "Respond to escalation ESC-77"}),
        ("I need to respond to Michael at DataFlow", {"request": "respond to Michael at DataFlow"}),
    ],
)
def test_draft_requests_in_many_phrasings(text: str, args: dict) -> None:
    assert _call(bound_model().invoke([HumanMessage(text)])) == ("gather_escalation_context", args)


def test_draft_request_without_a_customer_asks_which_one() -> None:
    ai = bound_model([ToolName.GATHER_CONTEXT, ToolName.DRAFT_RESPONSE]).invoke([HumanMessage("Escalation Response")])
    assert not ai.tool_calls
    assert "Which escalation should I respond to?" in ai.content


def test_draft_request_without_a_customer_lists_the_open_escalations_to_choose_from() -> None:
    messages: list[BaseMessage] = [HumanMessage("Escalation Response")]
    ai = bound_model().invoke(messages)
    assert _call(ai) == ("list_open_escalations", {"scope": "all", "severity": [], "limit": 5, "updates": False})
    answer_tool_call(messages, ai, inbox_result().to_content())
    final = bound_model().invoke(messages).content
    _in_order(
        final,
        "Which escalation should I respond to? Open now, most urgent first:",
        "1. Müller Logistik GmbH: SIG/2027/0042 (critical, billing) Rechnungsexport bricht ab. First response overdue by",
        'Say "Draft escalation response for Müller Logistik GmbH"',
    )
    messages += [AIMessage(final), HumanMessage("draft the second one")]
    assert _call(bound_model().invoke(messages)) == ("gather_escalation_context", {"signal_id": "jp-sig-1"})


def test_instructions_after_the_customer_reach_the_draft_tool() -> None:
    model = bound_model()
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for 株式会社サクラ; mention the weekend support line")]
    ai = model.invoke(messages)
    assert _call(ai) == ("gather_escalation_context", {"request": messages[0].content})
    named = context_result(customer=SAKURA, signal_id="jp-sig-1").model_copy(update={"named_by": ["株式会社サクラ"]})
    answer_tool_call(messages, ai, named.to_content())
    assert _call(model.invoke(messages)) == (
        "draft_escalation_response",
        {"signal_id": "jp-sig-1", "instructions": "mention the weekend support line"},
    )


# --- expected failures -----------------------------------------------------------------------


def _after_gather(error: ErrorResult, text: str = "Draft escalation response for Sakura") -> AIMessage:
    model = bound_model()
    messages: list[BaseMessage] = [HumanMessage(text)]
    answer_tool_call(messages, model.invoke(messages), error.to_content())
    return model.invoke(messages)


def test_ambiguous_customer_asks_which_one_listing_candidates() -> None:
    error = ErrorResult(
        error=ErrorDetail(
            code="ambiguous_customer",
            message="'Sakura' matches 2 customers",
            candidates=[
                Candidate(id="jp-3", label="株式会社サクラ", detail="enterprise"),
                Candidate(id="us-9", label="Sakura Foods LLC", detail="smb"),
            ],
        )
    )
    ai = _after_gather(error)
    assert not ai.tool_calls
    _in_order(
        ai.content,
        "'Sakura' matches 2 customers. Which customer do you mean?",
        "- 株式会社サクラ (enterprise)",
        "- Sakura Foods LLC (smb)",
        'Say "Draft escalation response for 株式会社サクラ"',
    )


def test_unknown_customer_offers_suggestions() -> None:
    error = ErrorResult(
        error=ErrorDetail(
            code="customer_not_found", message="No customer named 'Mueler'", candidates=[Candidate(label="Müller Logistik GmbH")]
        )
    )
    ai = _after_gather(error, "Draft escalation response for Mueler")
    assert "No customer named 'Mueler'. Did you mean:" in ai.content
    assert "- Müller Logistik GmbH" in ai.content


def test_unknown_customer_without_suggestions() -> None:
    error = ErrorResult(error=ErrorDetail(code="customer_not_found", message="No customer named 'Zork'"))
    assert "Check the spelling, or use the customer id." in _after_gather(error).content


def test_no_open_escalation_gets_a_clear_answer_and_no_draft() -> None:
    error = ErrorResult(error=ErrorDetail(code="no_open_escalation", message="Quillon Labs has no open escalation"))
    ai = _after_gather(error, "Draft escalation response for Quillon")
    assert not ai.tool_calls
    assert "Quillon Labs has no open escalation." in ai.content
    assert "did not draft anything" in ai.content


def test_a_draft_tool_error_is_shown_with_the_gathered_context() -> None:
    model = bound_model()
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for Müller")]
    answer_tool_call(messages, model.invoke(messages), context_result().to_content())
    refused = ErrorResult(error=ErrorDetail(code="refused", message="A response to this escalation is already pending approval"))
    answer_tool_call(messages, model.invoke(messages), refused.to_content())
    final = model.invoke(messages)
    _in_order(final.content, "Escalation Details:", "A response to this escalation is already pending approval.")


# --- review commands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("Send Urgently", "send_escalation_response", {"urgent": True}),
        ("send it now please", "send_escalation_response", {"urgent": False}),
        ("Send", "send_escalation_response", {"urgent": False}),
        ("approve and send asap", "send_escalation_response", {"urgent": True}),
        ("[Add CCs]", "add_escalation_ccs", {"who": []}),
        ("add all the suggested CCs", "add_escalation_ccs", {"who": []}),
        ("Add my manager and the support lead to CC", "add_escalation_ccs", {"who": ["my manager", "support lead"]}),
        ("cc Jonas Weber, Leila Haddad", "add_escalation_ccs", {"who": ["Jonas Weber", "Leila Haddad"]}),
        ("Remove Jonas Weber from CC", "remove_escalation_ccs", {"who": ["Jonas Weber"]}),
        ("take the billing specialist off the cc list", "remove_escalation_ccs", {"who": ["billing specialist"]}),
        ("Change the subject to Re: Export – fix under way.", "edit_escalation_draft", {"subject": "Re: Export – fix under way"}),
        ('Replace "thank you for raising this" with "thank you for your patience".', "edit_escalation_draft",
         {"replace": "thank you for raising this", "with_text": "thank you for your patience"}),
        ("replace Karl with Karl Brandt", "edit_escalation_draft", {"replace": "Karl", "with_text": "Karl Brandt"}),
        ('delete "thank you for raising this"', "edit_escalation_draft", {"replace": "thank you for raising this", "with_text": ""}),
        ("Change the body to:\nDear Anna,\nFixed.\n", "edit_escalation_draft", {"body": "Dear Anna,\nFixed."}),
        ("Show the draft", "show_escalation_draft", {}),
        ("show me the draft again", "show_escalation_draft", {}),
        ("who should I cc?", "suggest_escalation_ccs", {}),
        ("Cancel", "cancel_escalation_response", {}),
        ("please discard the draft", "cancel_escalation_response", {}),
    ],
)
def test_review_commands_call_the_tool_on_the_current_draft(text: str, tool: str, args: dict) -> None:
    messages = [*history_with_draft(), HumanMessage(text)]
    assert _call(bound_model().invoke(messages)) == (tool, {"response_id": "resp-9f2", **args})


def test_review_commands_use_the_most_recent_draft() -> None:
    messages = [
        *history_with_draft(draft_result(response_id="resp-old")),
        *history_with_draft(draft_result(response_id="resp-new", customer=SAKURA, signal_id="jp-sig-1")),
        HumanMessage("Send"),
    ]
    assert _call(bound_model().invoke(messages))[1]["response_id"] == "resp-new"


def test_a_review_result_keeps_its_draft_current() -> None:
    review = ReviewResult(
        response_id="resp-9f2", action="add_ccs", status="drafted", to=Recipient(email="a@b.de"), subject="S", changed=["cc"]
    )
    messages = [*history_with_draft(), HumanMessage("Add CCs")]
    answer_tool_call(messages, bound_model().invoke(messages), review.to_content())
    messages += [AIMessage("done"), HumanMessage("Send Urgently")]
    assert _call(bound_model().invoke(messages))[1] == {"response_id": "resp-9f2", "urgent": True}


@pytest.mark.parametrize("text", ["Send Urgently", "Add CCs", "Remove Jonas from CC", "Change the subject to X", "Show the draft", "Cancel"])
def test_review_commands_without_a_draft_say_so(text: str) -> None:
    ai = bound_model().invoke([HumanMessage(text)])
    assert not ai.tool_calls
    assert "There is no escalation response draft in this conversation yet" in ai.content


def test_after_cancel_there_is_no_current_draft() -> None:
    messages = [*history_with_draft(), HumanMessage("Cancel")]
    answer_tool_call(messages, bound_model().invoke(messages), CancelResult(response_id="resp-9f2", customer=MUELLER).to_content())
    final = bound_model().invoke(messages)
    assert final.content == "Cancelled the escalation response draft for Müller Logistik GmbH. Nothing was sent."
    messages += [final, HumanMessage("Send")]
    assert "no escalation response draft" in bound_model().invoke(messages).content


def _review_turn(text: str, content: str, **tool_message: object) -> AIMessage:
    messages = [*history_with_draft(), HumanMessage(text)]
    answer_tool_call(messages, bound_model().invoke(messages), content, **tool_message)
    return bound_model().invoke(messages)


def test_send_urgently_renders_submission_approval_and_response_time() -> None:
    final = _review_turn("Send Urgently", send_result().to_content())
    assert final.content.splitlines() == [
        "Escalation response submitted for expedited approval.",
        "Approval apr-31 granted automatically under the expedited approval policy.",
        "Escalation response sent to Müller Logistik GmbH. Response time logged: 37 minutes from escalation.",
        "That is within the first-response SLA.",
    ]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            send_result(status="pending_approval", urgent=False, approval=ApprovalSummary(id="apr-1", status="pending"),
                        email_id=None, response_minutes=None, sla_met=None),
            ["Escalation response submitted for approval.",
             "Approval apr-1 is waiting for a decision; the response will be sent once it is approved."],
        ),
        (
            send_result(status="failed", email_id=None, response_minutes=None, sla_met=None, message="Gmail refused the sender"),
            ["Escalation response submitted for expedited approval.",
             "Approval apr-31 granted automatically under the expedited approval policy.",
             "Sending to Müller Logistik GmbH failed: Gmail refused the sender. Nothing was sent; say \"Send\" to try again."],
        ),
        (
            send_result(status="unknown", email_id=None, response_minutes=None, sla_met=None),
            ["Escalation response submitted for expedited approval.",
             "Approval apr-31 granted automatically under the expedited approval policy.",
             "The mail service did not confirm whether the email to Müller Logistik GmbH went out. "
             "It will be checked, never blindly sent twice."],
        ),
        (
            send_result(status="already_sent"),
            ["This escalation response to Müller Logistik GmbH was already sent, so nothing was sent again.",
             "Response time logged: 37 minutes from escalation."],
        ),
        (
            send_result(status="rejected", approval=ApprovalSummary(id="apr-2", status="rejected", decided_by="Jonas Weber"),
                        email_id=None, response_minutes=None, sla_met=None, message="Tone too apologetic"),
            ["The approval was rejected by Jonas Weber, so the response to Müller Logistik GmbH was not sent. Tone too apologetic."],
        ),
        (
            send_result(approval=ApprovalSummary(id="apr-3", status="approved", decided_by="Jonas Weber"), response_minutes=1,
                        sla_met=False, urgent=False),
            ["Escalation response submitted for approval.", "Approval apr-3 granted by Jonas Weber.",
             "Escalation response sent to Müller Logistik GmbH. Response time logged: 1 minute from escalation.",
             "That is past the first-response SLA."],
        ),
    ],
)
def test_send_outcomes_are_worded_by_status(result: object, expected: list[str]) -> None:
    assert _review_turn("Send", result.to_content()).content.splitlines() == expected


def test_review_result_shows_changes_refusals_and_voided_approval() -> None:
    review = ReviewResult(
        response_id="resp-9f2",
        action="add_ccs",
        status="drafted",
        to=Recipient(name="Anna Schäfer", email="anna.schaefer@mueller-logistik.de"),
        cc=[Recipient(name="Jonas Weber", email="jonas.weber@example.com", label="Your manager")],
        subject="Re: Rechnungsexport – our response",
        changed=["cc"],
        added=[Recipient(name="Jonas Weber", email="jonas.weber@example.com", label="Your manager")],
        refused=[RefusedItem(item="eve@evil.example", reason="not in the staff directory")],
        approval_voided=True,
    )
    final = _review_turn("Add my manager and eve@evil.example to CC", review.to_content()).content
    _in_order(
        final,
        "Added to CC: Jonas Weber <jonas.weber@example.com> (Your manager).",
        "Not done for eve@evil.example: not in the staff directory.",
        "The earlier approval no longer applies",
        "To: Anna Schäfer <anna.schaefer@mueller-logistik.de>",
        "Cc: Jonas Weber <jonas.weber@example.com> (Your manager)",
        "Subject: Re: Rechnungsexport – our response",
        "[Edit] [Show the draft] [Send Urgently]",
    )


def test_edit_result_shows_the_new_body_and_replacement_count() -> None:
    review = ReviewResult(
        response_id="resp-9f2", action="edit", status="drafted", to=Recipient(email="anna@m.de"), subject="S",
        body="Dear Anna,\nthank you for your patience.", changed=["body"], replacements=1,
    )
    final = _review_turn('Replace "raising this" with "your patience"', review.to_content()).content
    _in_order(final, "Updated the draft: body changed (1 replacement).", "Cc: nobody", "Subject: S", "thank you for your patience.")


def test_remove_result_with_nothing_removed() -> None:
    review = ReviewResult(
        response_id="resp-9f2", action="remove_ccs", status="drafted", to=Recipient(email="anna@m.de"), subject="S",
        refused=[RefusedItem(item="Zed", reason="is not on the CC list")],
    )
    final = _review_turn("Remove Zed from CC", review.to_content()).content
    _in_order(final, "No CCs were removed.", "Not done for Zed: is not on the CC list.")


def test_show_renders_the_draft_card_with_status() -> None:
    shown = draft_result(status="pending_approval", cc=[Recipient(name="Jonas Weber", email="j@x.de", label="Your manager")], suggested=[])
    final = _review_turn("Show the draft", shown.to_content()).content
    _in_order(
        final,
        "Here is the current escalation response draft for Müller Logistik GmbH (status: pending approval).",
        "Cc: Jonas Weber <j@x.de> (Your manager)",
        "Subject:",
        "[Edit] [Send Urgently]",
    )
    assert "Suggested CCs" not in final


def test_cc_suggestions_are_listed_with_reasons() -> None:
    result = CcSuggestionsResult(
        response_id="resp-9f2",
        suggested_ccs=[SuggestedCc(name="Leila Haddad", label="Billing Specialist", reason="Invoice dispute")],
    )
    final = _review_turn("who should I cc?", result.to_content()).content
    _in_order(final, "Suggested CCs: Billing Specialist", "- Billing Specialist: Leila Haddad. Invoice dispute.", "Current CC: nobody.")


def test_strategy_uses_the_latest_signal_and_renders_the_plan() -> None:
    messages = [*history_with_draft(), HumanMessage("What's the strategy?")]
    ai = bound_model().invoke(messages)
    assert _call(ai) == ("pick_response_strategy", {"signal_id": "SIG/2027/0042"})
    strategy = StrategyResult(
        signal_id="SIG/2027/0042",
        escalation_type="billing",
        type_inferred=True,
        tone="executive",
        tone_reasons=["recipient is an executive"],
        sla=SlaSummary(urgency="breached", first_response_due=NOW, minutes_to_first_response_due=-130),
        timeline=[TimelineStep(milestone="Corrected invoices", due_text="Thu 4 Feb, 17:00 CET", status="planned")],
        action_items=["Billing specialist reviewing both invoices"],
    )
    answer_tool_call(messages, ai, strategy.to_content())
    final = bound_model().invoke(messages).content
    _in_order(
        final,
        "Response strategy for SIG/2027/0042:",
        "- Type: billing (inferred from the text)",
        "- Tone: executive (recipient is an executive)",
        "- First response is overdue by 2 hours 10 minutes (SLA breached).",  # 130 minutes late
        "- Corrected invoices: Thu 4 Feb, 17:00 CET",
        "- Billing specialist reviewing both invoices",
    )


# --- the human reviewer and failing tools ---------------------------------------------------------


def test_rejected_send_is_reported_plainly() -> None:
    messages = [*history_with_draft(), HumanMessage("Send Urgently")]
    ai = bound_model().invoke(messages)
    (call,) = ai.tool_calls
    rejection = add_notification_metadata(
        ToolMessage(
            content=f"User rejected the tool call for `{call['name']}` with reason: wait for legal",
            tool_call_id=call["id"],
            name=call["name"],
            status="error",
        ),
        source="hitl_interrupt_decision",
        data={"decision": "reject"},
    )
    final = bound_model().invoke([*messages, ai, rejection])
    assert not final.tool_calls
    assert final.content.splitlines() == [
        "The send was rejected in review, so nothing was sent.",
        "Reason given: wait for legal.",
        'The draft is unchanged: you can edit it, "Send" it later, or "Cancel" it.',
    ]


def test_rejection_recognised_from_the_message_text_alone() -> None:
    final = _review_turn(
        "Send",
        "User rejected the tool call for `send_escalation_response` with id x. The tool was not executed.",
        status="error",
    )
    assert final.content.startswith("The send was rejected in review, so nothing was sent.")
    assert "Reason given" not in final.content


def test_reviewer_edit_notice_is_read_through() -> None:
    notice = (
        "The reviewer edited this call. Executed instead: send_escalation_response with arguments "
        '{"response_id": "resp-9f2", "urgent": false}.\n\nTool response:'
    )
    final = _review_turn("Send Urgently", notice + send_result(urgent=False).to_content())
    assert final.content.startswith("(The reviewer adjusted the send_escalation_response step before it ran.)")
    assert "Escalation response submitted for approval." in final.content


def test_reviewer_answer_in_place_of_a_tool() -> None:
    messages = [*history_with_draft(), HumanMessage("Send")]
    ai = bound_model().invoke(messages)
    (call,) = ai.tool_calls
    answered = add_notification_metadata(
        ToolMessage(content="Sent it myself from Gmail", tool_call_id=call["id"], name=call["name"]),
        source="hitl_interrupt_decision",
        data={"decision": "respond"},
    )
    final = bound_model().invoke([*messages, ai, answered])
    assert final.content == "The reviewer answered instead of running send_escalation_response: Sent it myself from Gmail."


def test_a_tool_error_is_reported_and_not_retried() -> None:
    final = _review_turn("Send", "Error: OperationalError('connection lost')\n Please fix your mistakes.", status="error")
    assert not final.tool_calls
    assert final.content.splitlines() == [
        "The send_escalation_response step failed: Error: OperationalError('connection lost') Please fix your mistakes.",
        'Say "Show the draft" to check its status before trying again.',
    ]


def test_an_unreadable_tool_result() -> None:
    final = _review_turn("Show the draft", "<html>oops</html>")
    assert final.content == "The show_escalation_draft step returned something I cannot read."


# --- everything else ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["What can you do?", "hello", "", "Wie ist das Wetter?"])
def test_anything_else_gets_what_it_can_do(text: str) -> None:
    ai = bound_model([n for n in ToolName if n is not ToolName.LIST_OPEN]).invoke([HumanMessage(text)])
    assert not ai.tool_calls
    assert ai.content.startswith("I draft, review and send responses to customer escalations. You can say:")
    assert '"Send", or "Send Urgently" for expedited approval' in ai.content
    assert '"Draft escalation response for <customer>"' in ai.content


def test_what_it_can_do_is_shown_with_examples_from_the_open_escalations() -> None:
    messages: list[BaseMessage] = [HumanMessage("hello?")]
    ai = bound_model().invoke(messages)
    assert _call(ai) == ("list_open_escalations", {"scope": "all", "severity": [], "limit": 3, "updates": False})
    answer_tool_call(messages, ai, inbox_result().to_content())
    final = bound_model().invoke(messages).content
    assert final.startswith("I draft, review and send responses to customer escalations. You can say:")
    assert '"Draft escalation response for Müller Logistik GmbH"' in final
    assert '"Escalation response for jp-sig-1"' in final
    assert "Open now: Müller Logistik GmbH (SIG/2027/0042, critical), 株式会社サクラ (jp-sig-1, high)." in final


def test_edit_button_explains_how_to_edit() -> None:
    ai = bound_model().invoke([*history_with_draft(), HumanMessage("[Edit]")])
    assert ai.content.startswith("Tell me what to change, for example:")


def test_dont_send_holds_the_draft() -> None:
    ai = bound_model().invoke([*history_with_draft(), HumanMessage("Don't send it yet")])
    assert not ai.tool_calls
    assert ai.content.startswith("OK, I won't send it.")


def test_harness_notifications_are_not_the_csm_request() -> None:
    note = add_notification_metadata(HumanMessage("Background: worker pre-drafted resp-9f2"), source="worker")
    ai = bound_model().invoke([HumanMessage("Send Urgently"), note])
    assert ai.content.startswith("There is no escalation response draft")


def test_content_blocks_are_read_as_text() -> None:
    ai = bound_model().invoke([HumanMessage(content=[{"type": "text", "text": "Draft escalation response for Müller"}])])
    assert _call(ai) == ("gather_escalation_context", {"request": "Draft escalation response for Müller"})


def test_stop_sequences_cut_the_text_answer() -> None:
    ai = OfflineChatModel().invoke([HumanMessage("help")], stop=[" review"])
    assert ai.content == "I draft,"


def test_same_conversation_same_answer_and_unique_call_ids() -> None:
    model = bound_model()
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for Müller")]
    ids: list[str] = []
    for result in (context_result(), draft_result()):
        ai = model.invoke(messages)
        again = model.invoke(messages)
        assert (again.content, again.tool_calls) == (ai.content, ai.tool_calls)
        ids.append(ai.tool_calls[0]["id"])
        answer_tool_call(messages, ai, result.to_content())
    messages += [model.invoke(messages), HumanMessage("Draft escalation response for Müller")]
    ids.append(model.invoke(messages).tool_calls[0]["id"])
    messages += [AIMessage(""), HumanMessage("Send")]
    ids.append(model.invoke(messages).tool_calls[0]["id"])
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("call_") for i in ids)


def test_tool_call_args_are_valid_json_for_any_provider() -> None:
    messages = [*history_with_draft(), HumanMessage('Replace "Sehr geehrte" with "Liebe"')]
    ai = bound_model().invoke(messages)
    assert json.loads(json.dumps(ai.tool_calls[0]["args"], ensure_ascii=False)) == {
        "response_id": "resp-9f2", "replace": "Sehr geehrte", "with_text": "Liebe"
    }


def test_strategy_without_any_escalation_yet() -> None:
    ai = bound_model().invoke([HumanMessage("which tone will you use?")])
    assert ai.content.startswith("I don't know which escalation you mean yet.")


def test_rejection_of_another_tool_names_the_step() -> None:
    final = _review_turn("Add CCs", "User rejected the tool call for `add_escalation_ccs` with reason: not now", status="error")
    assert final.content.splitlines()[:2] == [
        "The reviewer rejected the add_escalation_ccs step, so it did not run.",
        "Reason given: not now.",
    ]


@pytest.mark.parametrize(
    ("hours", "arr", "change", "days", "duration", "money", "health"),
    [
        (0.02, 4_500, 0, None, "1 minute", "$4,500", "71 (stable)"),
        (1.5, 12_000, 3, 7, "1 hour 30 minutes", "$12K", "71 (improving, up 3 points in 7 days)"),
        (47.6, 2_000_000, -1, None, "2 days", "$2M", "71 (declining, down 1 point)"),
        (50.0, 999_999, 0, None, "2 days 2 hours", "$1M", "71 (stable)"),
    ],
)
def test_context_numbers_read_naturally(
    hours: float, arr: float, change: int, days: int | None, duration: str, money: str, health: str
) -> None:
    ctx = context_result()
    trend = "stable" if change == 0 else ("improving" if change > 0 else "declining")
    ctx.details = ctx.details.model_copy(
        update={
            "unresolved_for_hours": hours,
            "arr": arr,
            "health": ctx.details.health.model_copy(update={"score": 71, "trend": trend, "change": change, "window_days": days}),
            "reporter": None,
            "ticket_id": None,
            "days_to_renewal": 400,
        }
    )
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for Müller")]
    answer_tool_call(messages, bound_model().invoke(messages), ctx.to_content())
    answer_tool_call(messages, bound_model().invoke(messages), draft_result().to_content())
    final = bound_model().invoke(messages).content
    assert f"- Duration: {duration} unresolved" in final
    assert f"- Customer ARR: {money}" in final
    assert f"- Health Score: {health}" in final
    assert "Reported by" not in final and "Ticket:" not in final and "Renewal" not in final


def test_a_request_the_tool_contract_refuses_is_explained_not_sent() -> None:
    ai = bound_model().invoke([*history_with_draft(), HumanMessage("Change the subject to " + "x" * 300)])
    assert not ai.tool_calls
    assert ai.content.splitlines() == [
        "I can't pass that on to edit_escalation_draft:",
        "- subject: String should have at most 250 characters",
    ]


def test_a_tool_is_called_at_most_once_per_turn() -> None:
    messages: list[BaseMessage] = [HumanMessage("Draft escalation response for Müller")]
    model = bound_model()
    answer_tool_call(messages, model.invoke(messages), context_result().to_content())
    ai = model.invoke(messages)
    answer_tool_call(messages, ai, context_result().to_content())  # a draft tool answering with a context
    final = model.invoke(messages)
    assert not final.tool_calls
    assert "Escalation Details:" in final.content
