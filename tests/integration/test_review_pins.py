"""Review pins on a skill of the test's own: the reviewed moment is recorded with the pending review
(PostgreSQL checkpoint) and is what the approved call runs with, whatever the model or an edit says."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents.middleware import InterruptOnConfig
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision
from communicator_escalation.agent.review_pins import ReviewPinMiddleware
from communicator_escalation.errors import ConfigurationError
from communicator_escalation.store import Store

FORGED_REVISION = 41


class PublishArgs(BaseModel):
    text: str = Field(description="Text of the note.")
    revision: SkipJsonSchema[int | None] = Field(default=None, description="Host-only: the reviewed revision.")


class PinnedNotesSkill:
    """Publishing a note publishes the board's revision the reviewer saw; the board may change meanwhile."""

    name = "notes"
    description = "Publish the notice board."
    system_prompt = "Publish when asked."

    def __init__(self) -> None:
        self.revision = 1
        self.published: list[tuple[str, int]] = []

    def _publish(self, text: str, revision: int | None = None) -> str:
        if revision != self.revision:
            return json.dumps({"refused": "changed", "reviewed": revision, "now": self.revision})
        self.published.append((text, revision))
        return json.dumps({"published": text, "revision": revision})

    @property
    def tools(self) -> list[BaseTool]:
        return [
            StructuredTool.from_function(
                self._publish, name="publish_note", description="Publish.", args_schema=PublishArgs
            )
        ]

    @property
    def interrupt_on(self) -> dict[str, InterruptOnConfig]:
        return {"publish_note": {"allowed_decisions": ["approve", "edit", "reject"], "description": "Publish"}}

    @property
    def review_pins(self) -> dict[str, Any]:
        return {"publish_note": lambda call: {"revision": self.revision}}


class ForgingModel(BaseChatModel):
    """'publish X' calls publish_note(X) and tries to supply the host-only revision itself."""

    @property
    def _llm_type(self) -> str:
        return "forging-test"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ForgingModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, HumanMessage) and str(last.content).startswith("publish "):
            args = {"text": str(last.content)[8:], "revision": FORGED_REVISION}
            call = ToolCall(name="publish_note", args=args, id=f"c{len(messages)}")
            reply = AIMessage(content="", tool_calls=[call])
        elif isinstance(last, ToolMessage):
            reply = AIMessage(content=str(last.content))
        else:
            reply = AIMessage(content="ok")
        return ChatResult(generations=[ChatGeneration(message=reply)])


def _agent(store: Store, skill: PinnedNotesSkill) -> CommunicatorAgent:
    return CommunicatorAgent([skill], model=ForgingModel(), checkpointer=postgres_checkpointer(store))


def test_the_call_runs_with_the_pin_recorded_at_review_not_the_models_value(store: Store) -> None:
    skill = PinnedNotesSkill()
    turn = _agent(store, skill).run_turn(message="publish agenda")
    [request] = turn.pending_review
    assert request.pinned == {"revision": 1}
    assert request.args == {"text": "agenda"}  # the model's forged revision is not shown: it is void
    done = _agent(store, skill).run_turn(turn.thread_id, decision=ReviewDecision(type="approve"))
    assert skill.published == [("agenda", 1)]
    assert json.loads(done.reply) == {"published": "agenda", "revision": 1}


def test_a_change_after_the_review_is_refused_even_when_an_edit_names_the_new_revision(store: Store) -> None:
    skill = PinnedNotesSkill()
    agent = _agent(store, skill)
    thread = agent.run_turn(message="publish minutes").thread_id
    skill.revision = FORGED_REVISION
    edited = agent.run_turn(thread, decision=ReviewDecision(type="edit", args={"revision": FORGED_REVISION}))
    assert skill.published == []
    assert '"reviewed": 1' in edited.reply

    again = agent.run_turn(thread, message="publish minutes")
    assert again.pending_review[0].pinned == {"revision": FORGED_REVISION}
    agent.run_turn(thread, message="yes")
    assert skill.published == [("minutes", FORGED_REVISION)]


def test_a_pinned_call_without_a_recorded_pin_does_not_run() -> None:
    ran: list[ToolCall] = []
    middleware = ReviewPinMiddleware({"publish_note": lambda call: {"revision": 1}})
    call = ToolCall(name="publish_note", args={"text": "x", "revision": 1}, id="never-reviewed")
    request = ToolCallRequest(tool_call=call, tool=None, state={"messages": []}, runtime=None)  # type: ignore[arg-type]

    def handler(req: ToolCallRequest) -> ToolMessage:
        ran.append(req.tool_call)
        return ToolMessage(content="ran", tool_call_id="never-reviewed")

    answer = middleware.wrap_tool_call(request, handler)
    assert ran == [] and isinstance(answer, ToolMessage) and answer.status == "error"


def test_pins_for_a_tool_without_review_are_a_configuration_error(store: Store) -> None:
    class Unreviewed(PinnedNotesSkill):
        @property
        def interrupt_on(self) -> dict[str, InterruptOnConfig]:
            return {}

    with pytest.raises(ConfigurationError, match="not reviewed"):
        _agent(store, Unreviewed())
