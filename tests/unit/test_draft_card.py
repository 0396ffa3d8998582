"""The draft card that ends a draft turn for any model: when it is said, and that it is the offline model's card."""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from communicator_escalation.agent.offline.cards import card_for
from communicator_escalation.agent.offline.chat_text import render_chat
from communicator_escalation.agent.tools.results import Recipient, ReviewResult
from communicator_escalation.models import ReviewNote
from tests.support.offline_chat import bound_model, context_result, draft_result


def _draft_turn(request: str) -> list[BaseMessage]:
    draft = draft_result()
    return [
        HumanMessage(request),
        AIMessage(content="Drafting it now.", tool_calls=[
            {"name": "gather_escalation_context", "args": {"request": request}, "id": "c1"},
            {"name": "draft_escalation_response", "args": {"request": request}, "id": "c2"},
        ]),
        ToolMessage(content=context_result().to_content(), tool_call_id="c1", name="gather_escalation_context"),
        ToolMessage(content=draft.to_content(), tool_call_id="c2", name="draft_escalation_response"),
    ]


def test_a_draft_request_ends_with_the_offline_models_card_of_the_stored_draft() -> None:
    messages = _draft_turn("Draft escalation response for Müller")
    card = card_for(messages)
    assert card is not None and draft_result().body in card and "Escalation Details:" in card
    offline = bound_model().invoke(messages)
    assert offline.content == card


def test_a_request_in_another_language_also_gets_the_card() -> None:
    assert card_for(_draft_turn("Redacta una respuesta para Müller")) is not None


def test_more_to_do_after_the_draft_lets_the_model_go_on() -> None:
    assert card_for(_draft_turn("Draft escalation response for Müller and cc my manager")) is None


def test_no_card_before_the_tools_answered_or_after_an_error() -> None:
    messages = _draft_turn("Draft escalation response for Müller")
    assert card_for(messages[:2]) is None
    failed = [*messages[:3], ToolMessage(content='{"kind":"error","ok":false,"error":{"code":"refused","message":"no"}}',
                                         tool_call_id="c2", name="draft_escalation_response")]
    assert card_for(failed) is None


def _notes() -> list[ReviewNote]:
    return [
        ReviewNote(kind="advisory", code="owner_to_name", text="Name the owner of the export fix."),
        ReviewNote(kind="blocking", code="unconfirmed_placeholder", text="Fill in [confirm: date] before sending."),
    ]


def _sections(card: str) -> tuple[str, str]:
    fix, check = card.index("Before this can be sent, fix:"), card.index("Please check before sending:")
    return card[fix:check], card[check:]


def test_the_draft_card_lists_blocking_notes_first_as_what_must_be_fixed() -> None:
    messages = _draft_turn("Draft escalation response for Müller")
    last = messages[-1]
    assert isinstance(last, ToolMessage)
    last.content = draft_result(review_notes=_notes()).to_content()
    card = card_for(messages)
    assert card is not None
    must, check = _sections(card)
    assert "**Before this can be sent, fix:**" in card  # highlighted, and before the advisory notes
    assert "Fill in [confirm: date]" in must and "Name the owner" not in must
    assert "Name the owner" in check and "Fill in" not in check


def test_the_review_card_after_an_edit_sorts_its_notes_by_kind_too() -> None:
    review = ReviewResult(response_id="resp-9f2", action="edit", status="drafted", to=Recipient(email="a@b.de"),
                          subject="S", changed=["to"], review_notes=_notes())
    must, check = _sections(render_chat("review.j2", result=review))
    assert "Fill in [confirm: date]" in must and "Name the owner" in check and "Fill in" not in check
