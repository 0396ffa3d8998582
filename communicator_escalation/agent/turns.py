"""What a conversation turn is made of, as the front doors see it: messages, review requests and decisions.

`CommunicatorAgent` (agent/host.py) produces these; the CLI, the HTTP API and the tests read them.
`TurnToken` is a piece of the agent's text as it streams (`CommunicatorAgent.astream_turn`).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field, computed_field

from ..safe_text import MultiLine

__all__ = [
    "MAX_CHAT_CHARS",
    "ChatMessage",
    "ChatText",
    "ReviewDecision",
    "ReviewRequest",
    "Turn",
    "TurnToken",
    "chat_message",
    "decision_from_text",
]

MAX_CHAT_CHARS = 4000
ChatText = Annotated[MultiLine, Field(min_length=1, max_length=MAX_CHAT_CHARS)]
"""What a person types in one chat message, at every door (HTTP API, LangGraph server)."""

_APPROVE_WORDS = frozenset({"approve", "approved", "yes", "y", "ok", "okay", "send", "send it", "confirm", "go ahead"})
_REJECT_WORDS = frozenset({"reject", "rejected", "no", "n", "cancel", "stop", "dont send", "do not send"})


class ChatMessage(BaseModel):
    """One message of a conversation, as a front door shows it."""

    role: Literal["user", "assistant", "tool"] = Field(
        description="Who said it: the user, the agent, or a tool result."
    )
    content: str = Field(description="Text of the message (a tool result as returned to the model).")
    name: str | None = Field(default=None, description="Tool name, for tool results and tool calls.")
    data: dict[str, Any] | None = Field(default=None, description="Tool result parsed as JSON, when it is JSON.")
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, description="Tool calls the agent made in this message: name and args."
    )
    status: Literal["success", "error"] | None = Field(default=None, description="Tool result status.")


class ReviewRequest(BaseModel):
    """A tool call waiting for the human's decision."""

    tool: str = Field(description="Name of the gated tool.")
    args: dict[str, Any] = Field(description="Arguments the agent wants to call it with (pinned ones aside).")
    description: str = Field(description="What will happen if approved (e.g. To, CC and Subject of the email).")
    allowed_decisions: list[str] = Field(description="Decisions allowed: approve, edit, reject.")
    pinned: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Host-only arguments recorded when the review was requested (e.g. the content hash of the email"
            " on the card); the call runs with exactly these, whatever the model or an edit decision says."
        ),
    )


class ReviewDecision(BaseModel):
    """The human's answer to a review request."""

    type: Literal["approve", "edit", "reject"] = Field(description="approve, edit or reject.")
    message: str | None = Field(default=None, description="Reason given with a rejection.")
    args: dict[str, Any] | None = Field(default=None, description="Replacement arguments for an edit.")


class Turn(BaseModel):
    """What one call to `CommunicatorAgent.run_turn` produced."""

    thread_id: str = Field(description="Conversation id; pass it back to continue or resume the conversation.")
    messages: list[ChatMessage] = Field(default_factory=list, description="Messages added during this turn, in order.")
    pending_review: list[ReviewRequest] = Field(
        default_factory=list, description="Gated tool calls waiting for a decision; empty when the turn finished."
    )

    @computed_field(description="True when the conversation stopped at the review step.")  # type: ignore[prop-decorator]
    @property
    def waiting_for_review(self) -> bool:
        """True when the conversation stopped at the review step."""
        return bool(self.pending_review)

    @computed_field(description="The agent's text in this turn (its last non-empty message).")  # type: ignore[prop-decorator]
    @property
    def reply(self) -> str:
        """The agent's text in this turn (its last non-empty message)."""
        texts = [m.content for m in self.messages if m.role == "assistant" and m.content]
        return texts[-1] if texts else ""


def decision_from_text(text: str) -> ReviewDecision | None:
    """Read a typed answer to a review: approve or reject words, or None for anything else."""
    words = re.sub(r"[^\w\s]", "", text.replace("'", "")).strip().lower()
    words = re.sub(r"\s+", " ", words)
    if words in _APPROVE_WORDS:
        return ReviewDecision(type="approve")
    if words in _REJECT_WORDS:
        return ReviewDecision(type="reject")
    return None


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def chat_message(message: BaseMessage) -> ChatMessage | None:
    """A LangChain message as a front door shows it (None for system and other messages)."""
    if isinstance(message, HumanMessage):
        return ChatMessage(role="user", content=_text_of(message))
    if isinstance(message, ToolMessage):
        text = _text_of(message)
        return ChatMessage(role="tool", content=text, name=message.name, data=_json_object(text), status=message.status)
    if isinstance(message, AIMessage):
        calls = [{"name": call["name"], "args": call["args"]} for call in message.tool_calls]
        return ChatMessage(role="assistant", content=_text_of(message), tool_calls=calls)
    return None


class TurnToken(BaseModel):
    """A piece of the agent's text, as the model streams it; the pieces of a message add up to its text."""

    text: str = Field(description="The next characters of the agent's message.")
    message_id: str | None = Field(default=None, description="Id of the message the piece belongs to.")
