"""The review step: LangChain's human-in-the-loop interrupt, answered only by a well-formed answer.

`ReviewMiddleware` is LangChain's `HumanInTheLoopMiddleware` in its batched mode (the interrupt value
is a `HITLRequest` with `action_requests` and `review_configs`, as LangChain's Agent Chat UI reads
it) with two differences:

- The interrupt declares its answer as a `response_schema`: a `HITLResponse` with one allowed
  decision per action request, in order. langgraph checks a resume value against it before saving
  anything, so a malformed answer (e.g. Agent Inbox's bare list `[{"type": "accept", "args": null}]`)
  is refused with a `pydantic.ValidationError` that says what is wrong, and the thread still waits
  for a valid answer. Without it the bad value would be saved and replayed, and the send lost.
- `aafter_model` runs the hook in a worker thread: review descriptions read the database, and an
  async run must not block its event loop on that.

`read_review_answer` applies the same checks outside the graph (the LangGraph server refuses a
malformed resume before it starts a run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain.agents.middleware.human_in_the_loop import (
    ApproveDecision,
    EditDecision,
    HITLRequest,
    HITLResponse,
    RejectDecision,
    RespondDecision,
)
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InvalidRequest
from ..safe_text import input_problems

__all__ = [
    "EDITED_CALLS_KEY",
    "InvalidReviewAnswer",
    "ReviewAnswer",
    "ReviewMiddleware",
    "answer_schema",
    "read_review_answer",
]

EDITED_CALLS_KEY = "hitl_edited_tool_calls"
"""HumanInTheLoopMiddleware's state key: tool call id -> the reviewer's edited call (its wrap_tool_call reads it)."""

_Decision = Annotated[ApproveDecision | EditDecision | RejectDecision | RespondDecision, Field(discriminator="type")]


class InvalidReviewAnswer(InvalidRequest):
    """A resume value that is not a review answer this interrupt accepts."""

    code = "invalid_review_answer"


class ReviewAnswer(BaseModel):
    """LangChain's HITLResponse: one decision per action request of the review, in order.

    `allowed` (set on the subclass that `answer_schema` makes for one review) lists the decisions
    each request allows; None checks the shape only.
    """

    model_config = ConfigDict(extra="forbid")

    allowed: ClassVar[list[list[str]] | None] = None
    decisions: list[_Decision] = Field(description="The human's decisions, one per action request, in order.")

    @model_validator(mode="before")
    @classmethod
    def _not_a_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            raise ValueError(
                'a review answer is an object {"decisions": [...]} (LangChain HITLResponse), one decision per'
                ' action request; a bare list such as Agent Inbox\'s [{"type": "accept", "args": null}] is not accepted'
            )
        return value

    @model_validator(mode="after")
    def _fits(self) -> ReviewAnswer:
        allowed = type(self).allowed
        if allowed is None:
            return self
        if len(self.decisions) != len(allowed):
            raise ValueError(
                f"the review has {len(allowed)} action request(s) but the answer has {len(self.decisions)} decision(s)"
            )
        for position, (decision, permitted) in enumerate(zip(self.decisions, allowed, strict=True)):
            if decision["type"] not in permitted:
                raise ValueError(f"decision {position}: {decision['type']!r} is not allowed here; allowed: {permitted}")
        return self

    def to_response(self) -> HITLResponse:
        """The answer as the HITLResponse dict LangChain processes."""
        return HITLResponse(decisions=[dict(d) for d in self.decisions])  # type: ignore[misc]


def answer_schema(allowed: Sequence[Sequence[str]] | None = None) -> type[ReviewAnswer]:
    """The answer type of one review: `allowed[i]` are the decisions for action request i (None: any)."""
    return type("ReviewAnswer", (ReviewAnswer,), {"allowed": None if allowed is None else [list(a) for a in allowed]})


def _problems(err: ValidationError) -> str:
    return "; ".join(input_problems(err.errors()))


def read_review_answer(value: Any, allowed: Sequence[Sequence[str]] | None = None) -> HITLResponse:
    """`value` as a HITLResponse, checked as the review interrupt checks it.

    Raises:
        InvalidReviewAnswer: It is not one (the message says why).
    """
    try:
        return answer_schema(allowed).model_validate(value).to_response()
    except ValidationError as err:
        raise InvalidReviewAnswer(f"invalid review answer: {_problems(err)}") from err


class ReviewMiddleware(HumanInTheLoopMiddleware):  # type: ignore[type-arg]
    """HumanInTheLoopMiddleware (batched) whose interrupt accepts only a valid answer; async without blocking."""

    def after_model(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Ask for review of the gated calls of the model's last message; apply the decisions."""
        last = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
        calls: list[ToolCall] = list(last.tool_calls) if last is not None else []
        gated = [
            i for i, call in enumerate(calls)
            if (config := self.interrupt_on.get(call["name"])) is not None
            and self._should_interrupt(call, config, state, runtime)
        ]
        if last is None or not gated:  # drop an earlier turn's edits so they cannot apply to this turn's calls
            return {EDITED_CALLS_KEY: {}} if state.get(EDITED_CALLS_KEY) else None
        pairs = [self._create_action_and_config(calls[i], self.interrupt_on[calls[i]["name"]], state, runtime) for i in gated]
        request = HITLRequest(action_requests=[a for a, _ in pairs], review_configs=[c for _, c in pairs])
        allowed = [c["allowed_decisions"] for _, c in pairs]
        answer = interrupt(request, response_schema=answer_schema(allowed))
        decisions = iter(answer.to_response()["decisions"])
        kept: list[ToolCall] = []
        replies: list[ToolMessage] = []
        edited: dict[str, Any] = {}
        for i, call in enumerate(calls):
            if i not in gated:
                kept.append(call)
                continue
            decision = next(decisions)
            revised, reply = self._process_decision(decision, call, self.interrupt_on[call["name"]])
            if revised is not None:
                kept.append(revised)
                if decision["type"] == "edit" and (call_id := revised.get("id")):
                    edited[call_id] = decision["edited_action"]
            if reply is not None:
                replies.append(reply)
        last.tool_calls = kept
        return {"messages": [last, *replies], EDITED_CALLS_KEY: edited}

    async def aafter_model(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """`after_model` in a worker thread (review descriptions read the database)."""
        return await asyncio.to_thread(self.after_model, state, runtime)
