"""Review pins: what a gated tool call was reviewed against is what it runs with.

When the model asks for a gated tool (the send), the CSM sees a review card built from the data as
it stands at that moment, and may answer much later. A skill names, per gated tool, a *pin*
function that captures that moment as host-only arguments (the escalation skill pins the content
hash of the exact To, CC, subject and body). `ReviewPinMiddleware` records the pins in the thread
state in `after_model`, before `HumanInTheLoopMiddleware` asks for the review, so they are
checkpointed with the pending review; when the call runs it overwrites those arguments with the
recorded values. Whatever the model (or an edit decision) put in a pinned argument is ignored,
and a gated call with no recorded pins does not run at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain.agents.middleware.types import PrivateStateAttr, ToolCallRequest
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langgraph.runtime import Runtime
from langgraph.types import Command
from typing_extensions import NotRequired

from ..errors import error_text

__all__ = ["PINS_KEY", "ReviewPin", "ReviewPinMiddleware", "ReviewPinState"]

PINS_KEY = "review_pins"
"""State key: tool call id -> host-only arguments recorded when the call was put up for review."""

ReviewPin = Callable[[ToolCall], dict[str, Any]]
"""Captures a gated call's reviewed moment as host-only arguments (must not raise)."""


class ReviewPinState(AgentState[Any]):
    """Agent state with the recorded review pins."""

    review_pins: NotRequired[Annotated[dict[str, dict[str, Any]], PrivateStateAttr]]


def _last_ai(messages: list[Any]) -> AIMessage | None:
    return next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)


def pins_of_last_turn(state: dict[str, Any], gated: set[str]) -> list[dict[str, Any]]:
    """Recorded pins of the last model message's gated calls, in call order (the review's order)."""
    last = _last_ai(list(state.get("messages", [])))
    recorded = state.get(PINS_KEY) or {}
    calls = last.tool_calls if last is not None else []
    return [dict(recorded.get(c.get("id") or "", {})) for c in calls if c["name"] in gated]


class ReviewPinMiddleware(AgentMiddleware[ReviewPinState, Any]):
    """Records review pins after the model speaks and injects them when the gated call runs.

    List it AFTER `HumanInTheLoopMiddleware`: `after_model` hooks run in reverse order, so the pins
    are recorded before the review interrupt, and `wrap_tool_call` hooks nest in list order, so the
    pins are applied inside the reviewer's edit (an edit cannot change them). Async runs take
    `aafter_model` (the pin functions in a worker thread) and `awrap_tool_call`.
    """

    state_schema = ReviewPinState

    def __init__(self, pins: dict[str, ReviewPin]) -> None:
        """Args:
        pins: Tool name -> pin function, for gated tools whose review must bind what runs.
        """
        super().__init__()
        self.pins = dict(pins)

    def after_model(self, state: ReviewPinState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Record the pins of the gated calls in the model's last message (replacing older ones)."""
        last = _last_ai(list(state["messages"]))
        calls = [c for c in (last.tool_calls if last else []) if c["name"] in self.pins and c.get("id")]
        if not calls and not state.get(PINS_KEY):
            return None
        return {PINS_KEY: {c["id"]: self.pins[c["name"]](c) for c in calls}}

    async def aafter_model(self, state: ReviewPinState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """`after_model` in a worker thread (pin functions read the database)."""
        return await asyncio.to_thread(self.after_model, state, runtime)

    def _pinned(self, request: ToolCallRequest) -> ToolCallRequest | ToolMessage:
        """The request with its recorded pins, or the refusal of a pinned call that has none."""
        call = request.tool_call
        if call["name"] not in self.pins:
            return request
        recorded = (request.state.get(PINS_KEY) or {}).get(call.get("id") or "")
        if recorded is None:
            return ToolMessage(
                content=error_text("system.not_pinned", tool=call["name"]),
                tool_call_id=call.get("id") or "",
                name=call["name"],
                status="error",
            )
        return request.override(tool_call={**call, "args": {**call["args"], **recorded}})

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        """Run a pinned call with its recorded pins; refuse one that has none."""
        pinned = self._pinned(request)
        return pinned if isinstance(pinned, ToolMessage) else handler(pinned)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        """`wrap_tool_call` for async runs."""
        pinned = self._pinned(request)
        return pinned if isinstance(pinned, ToolMessage) else await handler(pinned)
