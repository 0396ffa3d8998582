"""Read a chat history: the CSM's latest request and the tool outcomes before and after it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, ConfigDict, Field

from communicator_escalation.agent.tools.results import ToolResult, parse_tool_result

_HITL_SOURCE = "hitl_interrupt_decision"
_REJECTED = re.compile(r"^User rejected the tool call\b")
_REJECT_REASON = re.compile(r"with reason:\s*(?P<reason>.+)$", re.DOTALL)
_REASON_MAX = 300


class ToolOutcome(BaseModel):
    """What one tool call came back with."""

    model_config = ConfigDict(frozen=True)

    tool: str = Field(description="Tool name.")
    result: ToolResult | None = Field(default=None, description="The parsed result, when the content holds one.")
    rejected: bool = Field(default=False, description="The human reviewer rejected the call; the tool did not run.")
    answered: str | None = Field(default=None, description="The reviewer answered in place of the tool.")
    failed: bool = Field(default=False, description="The tool raised; `reason` has the error text.")
    reviewer_edited: bool = Field(default=False, description="The reviewer changed the call before it ran.")
    reason: str | None = Field(default=None, description="Rejection reason or error text, shortened.")


class Conversation(BaseModel):
    """A chat history, as the offline model reads it."""

    model_config = ConfigDict(frozen=True)

    request: str = Field(default="", description="Text of the CSM's latest message.")
    turn: list[ToolOutcome] = Field(default_factory=list, description="Tool outcomes since that message, in order.")
    earlier: list[ToolOutcome] = Field(default_factory=list, description="Tool outcomes before it, in order.")

    @property
    def outcomes(self) -> list[ToolOutcome]:
        """All tool outcomes, oldest first."""
        return [*self.earlier, *self.turn]


def read_conversation(messages: Sequence[BaseMessage]) -> Conversation:
    """Split a history at the CSM's latest message and read every tool outcome.

    Human messages added by the agent harness (marked with `lc_source`) are not the CSM's requests.
    """
    start = next(
        (i for i in range(len(messages) - 1, -1, -1) if _is_request(messages[i])),
        None,
    )
    tool_names = _tool_names_by_call_id(messages)
    outcomes = [
        (i, _outcome(m, tool_names.get(m.tool_call_id, m.name or "")))
        for i, m in enumerate(messages)
        if isinstance(m, ToolMessage)
    ]
    if start is None:
        return Conversation(earlier=[o for _, o in outcomes])
    return Conversation(
        request=_text(messages[start].content),
        turn=[o for i, o in outcomes if i > start],
        earlier=[o for i, o in outcomes if i < start],
    )


def _is_request(message: BaseMessage) -> bool:
    return isinstance(message, HumanMessage) and not message.additional_kwargs.get("lc_source")


def _tool_names_by_call_id(messages: Sequence[BaseMessage]) -> dict[str, str]:
    return {
        call["id"]: call["name"]
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id")
    }


def _text(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        block if isinstance(block, str) else str(block.get("text", ""))
        for block in content
        if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
    )


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1].rstrip() + "…"


def _outcome(message: ToolMessage, tool: str) -> ToolOutcome:
    text = _text(message.content)
    decision = (message.additional_kwargs.get("lc_data") or {}).get("decision")
    from_review = message.additional_kwargs.get("lc_source") == _HITL_SOURCE
    if message.status == "error" and (decision == "reject" or _REJECTED.match(text)):
        reason = _REJECT_REASON.search(text)
        return ToolOutcome(tool=tool, rejected=True, reason=_shorten(reason["reason"]) if reason else None)
    if from_review and decision == "respond":
        return ToolOutcome(tool=tool, answered=_shorten(text))
    result = parse_tool_result(message.content)
    if message.status == "error" and result is None:
        return ToolOutcome(tool=tool, failed=True, reason=_shorten(text) or None)
    edited = result is not None and not text.lstrip().startswith("{")
    return ToolOutcome(tool=tool, result=result, reviewer_edited=edited)
