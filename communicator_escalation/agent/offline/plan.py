"""The offline model's turn: the tool calls each asked-for action needs, in order, given the results so far.

Each action is a generator of steps: it yields the next tool call and receives that call's outcome,
so a later call can use an earlier result (the draft takes the signal id the context found; a CC
change takes the draft just made). `plan` replays the outcomes of this turn through the actions and
returns the next call, or None when the turn is over: every action done, or one failed (an error
result, a failed or rejected call), which ends the turn so the CSM can react.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from rapidfuzz import fuzz

from communicator_escalation.workflow.context.customers import name_key
from communicator_escalation.workflow.context.mentions import is_weak, words

from ...safe_text import input_problems
from ..tools.args import TOOL_ARGS, ToolName
from ..tools.results import (
    CancelResult, ContextResult, DraftResult, ErrorResult, InboxResult, ReviewResult, StrategyResult,
)
from .conversation import Conversation, ToolOutcome
from .instructions import drafting_instructions, trailing_instructions
from .intents import Action

__all__ = ["Call", "Invalid", "Missing", "Progress", "Record", "plan"]

_REVIEW_TOOLS: dict[str, ToolName] = {
    "send": ToolName.SEND_RESPONSE, "add_ccs": ToolName.ADD_CCS, "remove_ccs": ToolName.REMOVE_CCS,
    "edit": ToolName.EDIT_DRAFT, "show": ToolName.SHOW_DRAFT, "cancel": ToolName.CANCEL_RESPONSE,
    "suggest_ccs": ToolName.SUGGEST_CCS,
}
_NAMED_DRAFT_KINDS = {"send", "show", "cancel"}
_HELP_EXAMPLES = 3
_NEXT_ITEMS = 3
_ASK_ITEMS = 5
_NAME_CLOSE = 85.0


class Call(BaseModel):
    """A tool call to make."""

    tool: ToolName
    args: dict[str, Any]


class Missing(BaseModel):
    """A call the action needs whose tool is not bound."""

    tool: ToolName


class Invalid(BaseModel):
    """A call whose arguments the tool's schema refuses."""

    tool: ToolName
    problems: list[str]


class Blocked(BaseModel):
    """An action that cannot start: `no_draft` (nothing to act on) or `no_target`."""

    reason: str


Step = Call | Missing | Invalid | Blocked


class Record(BaseModel):
    """What an action did so far."""

    action: Action = Field(description="The action.")
    outcomes: list[ToolOutcome] = Field(default_factory=list, description="Its tool outcomes, in order.")
    blocked: str | None = Field(default=None, description="Why it could not start: no_draft or no_target.")


class Progress(BaseModel):
    """Where the turn stands."""

    done: list[Record] = Field(default_factory=list, description="Actions reached, in order.")
    next: Call | Missing | Invalid | None = Field(default=None, description="The next call, or why it cannot be made.")


class _State:
    """What review commands act on: the current draft, escalation and last list, updated by each result."""

    def __init__(self, tools: frozenset[str]) -> None:
        self.tools = tools
        self.response_id: str | None = None
        self.signal_id: str | None = None
        self.inbox: InboxResult | None = None
        self.drafts: dict[str, str] = {}

    def update(self, outcome: ToolOutcome) -> None:
        result = outcome.result
        if isinstance(result, DraftResult):
            self.response_id, self.signal_id = result.response_id, result.signal_id
            self.drafts[result.customer.name] = result.response_id
        elif isinstance(result, ReviewResult):
            self.response_id = result.response_id
        elif isinstance(result, ContextResult | StrategyResult):
            self.signal_id = result.signal_id
        elif isinstance(result, CancelResult):
            self.drafts = {k: v for k, v in self.drafts.items() if v != result.response_id}
            self.response_id = None if self.response_id == result.response_id else self.response_id
        elif isinstance(result, InboxResult):
            self.inbox = result

    def draft_for(self, text: str) -> str | None:
        """The draft of this conversation whose customer the text names, when exactly one fits."""
        keys = [name_key(w.core) for w in words(text) if not is_weak(w)]
        fits = {
            response_id for name, response_id in self.drafts.items()
            if any(k and (name_key(name).startswith(k) or fuzz.ratio(k, name_key(name.split()[0])) >= _NAME_CLOSE)
                   for k in keys)
        }
        return fits.pop() if len(fits) == 1 else None

    def call(self, tool: ToolName, **args: Any) -> Call | Missing | Invalid:
        if tool.value not in self.tools:
            return Missing(tool=tool)
        try:
            validated = TOOL_ARGS[tool].model_validate(args)
        except ValidationError as err:
            return Invalid(tool=tool, problems=input_problems(err.errors()))
        return Call(tool=tool, args=validated.model_dump(exclude_none=True))


Steps = Generator[Step, ToolOutcome, None]


def _ordinal_signal(action: Action, state: _State) -> str | None:
    items = state.inbox.escalations if state.inbox else []
    if action.ordinal is None or not items:
        return None
    index = action.ordinal - 1 if action.ordinal > 0 else len(items) - 1
    return items[index].signal_id if 0 <= index < len(items) else None


def _draft(action: Action, state: _State) -> Steps:
    signal_id = action.signal_id or _ordinal_signal(action, state)
    if signal_id is None and not action.names_target:
        signal_id = state.signal_id
    if signal_id is None and not action.names_target:
        if ToolName.LIST_OPEN.value in state.tools:
            yield state.call(ToolName.LIST_OPEN, limit=_ASK_ITEMS)
            return
        yield Blocked(reason="no_target")
        return
    target = {"signal_id": signal_id} if signal_id else {"request": action.text}
    if ToolName.GATHER_CONTEXT.value not in state.tools:
        yield state.call(ToolName.DRAFT_RESPONSE, **target, instructions=trailing_instructions(action.text))
        return
    gathered = yield state.call(ToolName.GATHER_CONTEXT, **target)
    context = gathered.result
    assert isinstance(context, ContextResult)  # plan() stops on anything else
    named = context.named_by or ([signal_id] if action.signal_id else [])
    instructions = drafting_instructions(action.text, named) if named else None
    yield state.call(ToolName.DRAFT_RESPONSE, signal_id=context.signal_id, instructions=instructions)


def _review(action: Action, state: _State) -> Steps:
    tool = _REVIEW_TOOLS[action.kind]
    response_id = state.response_id
    if action.names_target and action.kind in _NAMED_DRAFT_KINDS:
        response_id = state.draft_for(action.text)
        if response_id is None:
            yield from _draft(action, state)
            response_id = state.response_id
    if response_id is None:
        yield Blocked(reason="no_draft")
        return
    fields = {"send": ("urgent",), "add_ccs": ("who",), "remove_ccs": ("who",),
              "edit": ("subject", "body", "replace", "with_text", "to")}.get(action.kind, ())
    yield state.call(tool, response_id=response_id, **{f: getattr(action, f) for f in fields})


def _redraft(action: Action, state: _State) -> Steps:
    if state.signal_id is None or state.response_id is None:
        yield Blocked(reason="no_draft")
        return
    yield state.call(ToolName.DRAFT_RESPONSE, signal_id=state.signal_id, instructions=action.instructions)


def _explain(action: Action, state: _State) -> Steps:
    if action.topic == "ccs":
        yield from _review(action.model_copy(update={"kind": "suggest_ccs"}), state)
        return
    if action.names_target and state.draft_for(action.text) is None:
        gathered = yield state.call(ToolName.GATHER_CONTEXT, request=action.text)
        assert isinstance(gathered.result, ContextResult)
    if state.signal_id is None:
        if action.topic == "sla" and ToolName.LIST_OPEN.value in state.tools:
            yield state.call(ToolName.LIST_OPEN)
            return
        yield Blocked(reason="no_draft")
        return
    yield state.call(ToolName.PICK_STRATEGY, signal_id=state.signal_id)


def _update(action: Action, state: _State) -> Steps:
    """The next status update of the escalation the clause names, else of the conversation's escalation."""
    target = {"request": action.text} if action.names_target else {"signal_id": state.signal_id}
    if not action.names_target and state.signal_id is None:
        yield Blocked(reason="no_target")
        return
    yield state.call(ToolName.DRAFT_UPDATE, **target)


def _listing(action: Action, state: _State) -> Steps:
    if action.kind == "updates":
        yield state.call(ToolName.LIST_OPEN, scope=action.scope, updates=True)
        return
    if action.kind == "help":
        if ToolName.LIST_OPEN.value in state.tools:
            yield state.call(ToolName.LIST_OPEN, limit=_HELP_EXAMPLES)
        return
    limit = action.limit or (_NEXT_ITEMS if action.kind == "next" else None)
    yield state.call(ToolName.LIST_OPEN, scope=action.scope, severity=action.severities, limit=limit)


def _steps(action: Action, state: _State) -> Steps:
    if action.kind == "draft":
        return _draft(action, state)
    if action.kind in _REVIEW_TOOLS:
        return _review(action, state)
    if action.kind == "redraft":
        return _redraft(action, state)
    if action.kind == "explain":
        return _explain(action, state)
    if action.kind == "update":
        return _update(action, state)
    if action.kind in ("inbox", "next", "updates", "help"):
        return _listing(action, state)
    return _nothing()


def _nothing() -> Steps:
    """hold, edit_help: answered in words, no call."""
    yield from ()


def _advance(steps: Steps, outcome: ToolOutcome) -> Step | None:
    try:
        return steps.send(outcome)
    except StopIteration:
        return None


def _ends_turn(outcome: ToolOutcome, step: Call) -> bool:
    return outcome.tool != step.tool.value or outcome.result is None or isinstance(outcome.result, ErrorResult)


def plan(actions: list[Action], conversation: Conversation, tools: frozenset[str]) -> Progress:
    """Replay this turn's outcomes through the actions; the next call, or None when the turn is over.

    Args:
        actions: What the CSM asked for, in order.
        conversation: The history (earlier results set the current draft; this turn's are replayed).
        tools: Names of the tools that may be called.
    """
    state = _State(tools)
    for earlier in conversation.earlier:
        state.update(earlier)
    pending = list(conversation.turn)
    progress = Progress()
    for action in actions:
        record = Record(action=action)
        progress.done.append(record)
        steps = _steps(action, state)
        step = next(steps, None)
        while step is not None:
            if isinstance(step, Blocked):
                record.blocked = step.reason
                break
            if not isinstance(step, Call) or not pending:
                progress.next = step
                return progress
            outcome = pending.pop(0)
            record.outcomes.append(outcome)
            state.update(outcome)
            if _ends_turn(outcome, step):
                return progress
            step = _advance(steps, outcome)
    return progress
