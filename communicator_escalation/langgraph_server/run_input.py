"""What a run on the LangGraph server may carry, checked before it starts, with the HTTP API's rules.

A run either says something or answers the review its thread waits for:

- `input` is `{"messages": [...]}` and nothing else: only the CSM's own messages (`role` user, or
  `type` human as Agent Chat UI sends them), whose text is `ChatText` as in `POST /api/chat` (plain
  text or text blocks). Other state keys, AI, tool or system messages are refused, so a client
  cannot write the agent's state (review pins, edited calls) or forge tool results into it.
- `command` is `{"resume": <review answer>}` and nothing else: `update` would write the state and
  `goto` could skip the review step. The answer is checked as the review interrupt checks it
  (`read_review_answer`) and its strings, however nested, follow the text rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..agent.review_gate import read_review_answer
from ..agent.turns import MAX_CHAT_CHARS, ChatText
from ..errors import InvalidRequest
from ..safe_text import Identifier, MultiLine, input_problems, nested_text_problem

__all__ = ["check_run"]

_MAX_MESSAGES = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _TextBlock(_Strict):
    type: Literal["text"] = Field(description="Only text blocks.")
    text: MultiLine = Field(max_length=MAX_CHAT_CHARS, description="The text.")


class _UserMessage(_Strict):
    role: Literal["user", "human"] | None = Field(default=None, description="user (LangGraph SDK).")
    type: Literal["human"] | None = Field(default=None, description="human (Agent Chat UI).")
    id: Identifier | None = Field(default=None, description="The client's message id.")
    content: ChatText | list[_TextBlock] = Field(description="What the CSM typed.")

    @model_validator(mode="after")
    def _said(self) -> _UserMessage:
        if self.role is None and self.type is None:
            raise ValueError("a message needs role 'user' (or type 'human')")
        if isinstance(self.content, list) and not 0 < sum(len(b.text) for b in self.content) <= MAX_CHAT_CHARS:
            raise ValueError(f"a message has 1 to {MAX_CHAT_CHARS} characters")
        return self


class _RunInput(_Strict):
    messages: list[_UserMessage] = Field(min_length=1, max_length=_MAX_MESSAGES, description="New messages.")


class _Resume(_Strict):
    resume: Any = Field(description="The answer to the review the thread waits for.")


def _checked(model: type[BaseModel], value: Any, what: str) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as err:
        raise InvalidRequest(f"invalid run {what}: " + "; ".join(input_problems(err.errors()))) from err


def check_run(kwargs: Mapping[str, Any]) -> None:
    """Refuse a run whose input or command breaks the rules above.

    Args:
        kwargs: The run's `kwargs` as the server's auth hook sees them (`input`, `command`, ...).

    Raises:
        InvalidRequest: What is wrong (`InvalidReviewAnswer` for a resume value that is no review answer).
    """
    if kwargs.get("input") is not None:
        _checked(_RunInput, kwargs["input"], "input")
    if kwargs.get("command") is not None:
        resume = _checked(_Resume, kwargs["command"], "command")
        if (problem := nested_text_problem(resume.resume)) is not None:  # type: ignore[attr-defined]
            raise InvalidRequest(f"invalid review answer: {problem}")
        read_review_answer(resume.resume)  # type: ignore[attr-defined]
