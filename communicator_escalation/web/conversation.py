"""What a conversation page shows, read from the agent's thread and the store (never from the model's words).

- The transcript: the CSM's messages, one line per tool result (typed results, told apart by `kind`),
  and the agent's text. A turn whose results the page shows as cards (a context, a draft, a send)
  keeps the agent's text folded away: the card says it from stored data.
- The response panel: the newest response the thread worked on, as the store has it now (To, CC,
  subject, body, state), its draft's suggested CCs, the review notes recomputed on the current
  content, its approval, and once sent its response time and SLA.
- The review card: the send the thread waits on, with the exact content it would send and the
  fingerprint (content hash) the review pinned.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from ..agent.host import ChatMessage, ReviewRequest
from ..agent.tools.results import ToolResult, parse_tool_result
from ..auth.actor import Actor
from ..models import CcSuggestion, Draft, ReviewNote
from ..store import Store
from ..utc import utcnow
from ..workflow.delivery.approval import ApprovalStatus
from ..workflow.delivery.send_with_approval import approval_status_for
from ..workflow.delivery.tracking import ResponseSummary, list_responses
from ..workflow.drafting.responses import load_draft
from ..workflow.policy import Policy
from ..workflow.review.checks import review_notes_now
from ..workflow.review.edits import ResponseView, get_response

__all__ = [
    "ConversationView",
    "ResponsePanel",
    "ReviewCard",
    "TurnView",
    "conversation_view",
    "transcript",
    "working_response_id",
]

_CARD_KINDS = frozenset({"context", "draft", "send"})
"""Results the page shows as cards: the agent's text of such a turn repeats them."""


class TurnView(BaseModel):
    """One turn: what the CSM said, what the tools did, and the agent's text."""

    said: str | None = Field(default=None, description="The CSM's message (None before the first).")
    results: list[Any] = Field(default_factory=list, description="Typed tool results, in order.")
    replies: list[str] = Field(default_factory=list, description="The agent's text.")
    folded: bool = Field(default=False, description="The turn's cards say what the replies say.")


class ResponsePanel(BaseModel):
    """The response the conversation works on, as it stands."""

    draft: Draft = Field(description="The stored draft (suggested CCs and their reasons).")
    view: ResponseView = Field(description="Recipients, subject, body, state and content hash now.")
    notes: list[ReviewNote] = Field(description="Review notes on the current content, blocking first.")
    approval: ApprovalStatus = Field(description="Its approval request and notifications.")
    summary: ResponseSummary | None = Field(default=None, description="Response time and SLA, once sent.")
    open_suggestions: list[CcSuggestion] = Field(default_factory=list, description="Suggested CCs not on the CC yet.")
    minutes_to_first_response_due: int = Field(description="Minutes to the first-response deadline; negative when late.")


class ReviewCard(BaseModel):
    """The send waiting for the CSM's decision."""

    urgent: bool = Field(description="Send Urgently (expedited approval) or a plain send.")
    view: ResponseView = Field(description="The exact content the send carries now.")
    pinned_hash: str | None = Field(default=None, description="Content hash the review pinned.")
    notes: list[ReviewNote] = Field(default_factory=list, description="Review notes on that content.")


class ConversationView(BaseModel):
    """A conversation page's data."""

    turns: list[TurnView] = Field(default_factory=list, description="The transcript.")
    panel: ResponsePanel | None = Field(default=None, description="The response worked on, if any.")
    review: ReviewCard | None = Field(default=None, description="The send waiting for review, if any.")


def _result(message: ChatMessage) -> ToolResult | None:
    return parse_tool_result(message.content) if message.role == "tool" else None


def transcript(messages: list[ChatMessage]) -> list[TurnView]:
    """The thread's messages grouped into turns, tool results typed."""
    turns: list[TurnView] = []
    for message in messages:
        if message.role == "user" or not turns:
            turns.append(TurnView(said=message.content if message.role == "user" else None))
            if message.role == "user":
                continue
        turn = turns[-1]
        result = _result(message)
        if result is not None:
            turn.results.append(result)
            turn.folded = turn.folded or result.kind in _CARD_KINDS
        elif message.role == "assistant" and message.content.strip():
            turn.replies.append(message.content.strip())
    return turns


def _newest_response_id(turns: list[TurnView]) -> str | None:
    ids = [r.response_id for t in turns for r in t.results if isinstance(getattr(r, "response_id", None), str)]
    return ids[-1] if ids else None


def working_response_id(messages: list[ChatMessage]) -> str | None:
    """The response a thread works on (the newest one its tool results name), if any."""
    return _newest_response_id(transcript(messages))


def _panel(store: Store, *, actor: Actor, policy: Policy, response_id: str) -> ResponsePanel:
    view = get_response(store, response_id=response_id, actor=actor)
    sent = None
    if view.status == "sent":
        sent = next((s for s in list_responses(store, actor=actor, customer=view.customer_id) if s.id == view.id), None)
    draft = load_draft(store, response_id=response_id, actor=actor, policy=policy.email)
    on_cc = {r.email.casefold() for r in view.cc}
    due = draft.strategy.sla.first_response_due
    return ResponsePanel(
        draft=draft,
        view=view,
        open_suggestions=[c for c in draft.suggested_ccs if c.email.casefold() not in on_cc],
        minutes_to_first_response_due=math.floor((due - utcnow()).total_seconds() / 60),
        notes=review_notes_now(store, actor=actor, response_id=response_id, policy=policy),
        approval=approval_status_for(store, actor=actor, response_id=response_id),
        summary=sent,
    )


def _review(store: Store, *, actor: Actor, policy: Policy, pending: list[ReviewRequest]) -> ReviewCard | None:
    request = next((r for r in pending if isinstance(r.args.get("response_id"), str)), None)
    if request is None:
        return None
    response_id = request.args["response_id"]
    pinned = request.pinned.get("content_hash")
    return ReviewCard(
        urgent=bool(request.args.get("urgent")),
        view=get_response(store, response_id=response_id, actor=actor),
        pinned_hash=pinned if isinstance(pinned, str) else None,
        notes=review_notes_now(store, actor=actor, response_id=response_id, policy=policy),
    )


def conversation_view(store: Store, *, actor: Actor, policy: Policy, messages: list[ChatMessage],
                      pending: list[ReviewRequest]) -> ConversationView:
    """The page's data for a thread's messages and the reviews it waits on."""
    turns = transcript(messages)
    response_id = _newest_response_id(turns)
    return ConversationView(
        turns=turns,
        panel=_panel(store, actor=actor, policy=policy, response_id=response_id) if response_id else None,
        review=_review(store, actor=actor, policy=policy, pending=pending),
    )
