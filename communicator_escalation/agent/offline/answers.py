"""What the offline model says at the end of a turn: each action's outcome, rendered from prompts/chat/.

`draft_turn_text` is also what any model's turn shows after a draft (see agent/cards.py): the context
gathered in the turn and the draft card, rendered from the stored draft the tool returned.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..tools.results import (
    CancelResult, CcSuggestionsResult, ContextResult, DraftResult, ErrorResult, InboxResult, ReviewResult,
    SendResult, StrategyResult,
)
from .chat_text import render_chat
from .conversation import ToolOutcome
from .plan import Invalid, Missing, Progress, Record

__all__ = ["answer", "draft_turn_text"]

_RESULT_TEMPLATES: dict[type[BaseModel], str] = {
    ReviewResult: "review.j2",
    SendResult: "send.j2",
    CancelResult: "cancel.j2",
    CcSuggestionsResult: "ccs.j2",
    StrategyResult: "strategy.j2",
}
_REVIEW_KINDS = {"send", "add_ccs", "remove_ccs", "edit", "cancel"}
_WORDS_ONLY = {"hold": "hold.j2", "edit_help": "edit_help.j2", "help": "help.j2"}


def answer(progress: Progress) -> str:
    """The final answer of a turn: every action reached, in order, then why the plan stopped, if it did."""
    parts = [_record_text(record) for record in progress.done]
    step = progress.next
    if isinstance(step, Missing):
        parts.append(render_chat("tool_unavailable.j2", tool=step.tool.value))
    elif isinstance(step, Invalid):
        parts.append(render_chat("invalid_request.j2", tool=step.tool.value, problems=step.problems))
    return "\n\n".join(p for p in parts if p)


def draft_turn_text(context: ContextResult | None, draft: DraftResult, *, shown: bool = False) -> str:
    """The context gathered (if any) and the draft card, as the CSM sees them after a draft request.

    Args:
        context: The context gathered in the turn.
        draft: The draft (as stored).
        shown: The CSM asked to see the draft as it stands ("show the draft").
    """
    if shown and context is None:
        return render_chat("show.j2", draft=draft)
    return render_chat("draft.j2", context=context, draft=draft)


def _record_text(record: Record) -> str:
    action = record.action
    if record.blocked == "no_draft":
        return render_chat("no_draft.j2", kind=action.kind, topic=action.topic)
    if record.blocked == "no_target":
        return render_chat("ask_target.j2", inbox=None)
    if not record.outcomes:
        return render_chat(_WORDS_ONLY[action.kind], inbox=None) if action.kind in _WORDS_ONLY else ""
    last = record.outcomes[-1]
    if last.rejected:
        kept = action.kind in _REVIEW_KINDS
        return render_chat("rejected.j2", tool=last.tool, reason=last.reason, response_id=True if kept else None)
    if last.answered is not None:
        return render_chat("reviewer_answer.j2", tool=last.tool, answer=last.answered)
    if last.result is None:
        return render_chat("tool_failed.j2", tool=last.tool, reason=last.reason)
    return _with_review_note(_result_text(record, last), last)


def _context(record: Record) -> ContextResult | None:
    return next((o.result for o in reversed(record.outcomes) if isinstance(o.result, ContextResult)), None)


def _drafted(record: Record) -> str:
    """The draft card of a send, CC or show action that drafted first ("Send the DataFlow response")."""
    draft = next((o.result for o in record.outcomes[:-1] if isinstance(o.result, DraftResult)), None)
    return draft_turn_text(_context(record), draft) if draft is not None else ""


def _result_text(record: Record, last: ToolOutcome) -> str:
    action, result, context = record.action, last.result, _context(record)
    if isinstance(result, ErrorResult):
        return render_chat("error.j2", error=result.error, context=context)
    if isinstance(result, InboxResult):
        template = {"help": "help.j2", "draft": "ask_target.j2", "explain": "inbox.j2"}.get(action.kind, "inbox.j2")
        return render_chat(template, inbox=result, next=action.kind == "next", severities=action.severities)
    if isinstance(result, DraftResult):
        return draft_turn_text(context, result, shown=action.kind == "show")
    if isinstance(result, ContextResult):
        return render_chat("draft.j2", context=result, draft=None)
    if action.kind == "explain":
        return render_chat("explain.j2", topic=action.topic, result=result)
    text = render_chat(_RESULT_TEMPLATES[type(result)], result=result)
    return "\n\n".join(t for t in (_drafted(record), text) if t)


def _with_review_note(text: str, outcome: ToolOutcome) -> str:
    if not outcome.reviewer_edited:
        return text
    return f"{render_chat('reviewer_edited.j2', tool=outcome.tool)}\n\n{text}"
