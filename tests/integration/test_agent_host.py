"""CommunicatorAgent plumbing on a small skill of the test's own: review interrupt, decisions,
PostgreSQL checkpoints that outlive the agent object, one-tool-name-per-agent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents.middleware import InterruptOnConfig
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision, decision_from_text
from communicator_escalation.errors import ConfigurationError, InvalidRequest
from communicator_escalation.store import Store


class NoteArgs(BaseModel):
    text: str = Field(description="Text of the note.")


class NotesSkill:
    """A skill of the test: notes kept in a list; publishing is reviewed."""

    name = "notes"
    description = "Keep and publish notes."
    system_prompt = "Publish notes when asked."

    def __init__(self) -> None:
        self.published: list[str] = []

    def _publish(self, text: str) -> str:
        self.published.append(text)
        return json.dumps({"published": text, "count": len(self.published)})

    @property
    def tools(self) -> list[BaseTool]:
        return [
            StructuredTool.from_function(
                self._publish, name="publish_note", description="Publish a note.", args_schema=NoteArgs
            )
        ]

    @property
    def interrupt_on(self) -> dict[str, InterruptOnConfig]:
        return {
            "publish_note": {"allowed_decisions": ["approve", "edit", "reject"], "description": "Publish this note"}
        }


class ScriptedModel(BaseChatModel):
    """'publish X' calls publish_note(X); a tool result is echoed back; anything else is answered 'ok'."""

    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted-test"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls += 1
        last = messages[-1]
        if isinstance(last, HumanMessage) and str(last.content).startswith("publish "):
            call = {"name": "publish_note", "args": {"text": str(last.content)[8:]}, "id": f"call-{self.calls}"}
            reply = AIMessage(content="", tool_calls=[call])
        elif isinstance(last, ToolMessage):
            reply = AIMessage(content=f"[{last.status}] {last.content}")
        else:
            reply = AIMessage(content="ok")
        return ChatResult(generations=[ChatGeneration(message=reply)])


def _agent(store: Store, skill: NotesSkill) -> CommunicatorAgent:
    return CommunicatorAgent([skill], model=ScriptedModel(), checkpointer=postgres_checkpointer(store))


def test_turn_stops_at_review_and_approval_runs_the_tool_once(store: Store) -> None:
    skill = NotesSkill()
    agent = _agent(store, skill)
    first = agent.run_turn(message="publish quarterly numbers")
    assert first.waiting_for_review
    assert [(r.tool, r.args, r.description) for r in first.pending_review] == [
        ("publish_note", {"text": "quarterly numbers"}, "Publish this note")
    ]
    assert skill.published == []

    done = agent.run_turn(first.thread_id, decision=ReviewDecision(type="approve"))
    assert not done.waiting_for_review
    assert skill.published == ["quarterly numbers"]
    tool_results = [m for m in done.messages if m.role == "tool"]
    assert [m.data for m in tool_results] == [{"published": "quarterly numbers", "count": 1}]
    assert done.reply.startswith("[success]")
    with pytest.raises(InvalidRequest):
        agent.run_turn(first.thread_id, decision=ReviewDecision(type="approve"))
    assert skill.published == ["quarterly numbers"]


def test_a_new_agent_object_resumes_the_thread_from_postgres(db_url: str) -> None:
    skill = NotesSkill()
    with Store.open(db_url, max_size=2) as first_store:
        thread = _agent(first_store, skill).run_turn(message="publish résumé").thread_id
    with Store.open(db_url, max_size=2) as second_store:
        agent = _agent(second_store, skill)
        assert [r.args for r in agent.pending_review(thread)] == [{"text": "résumé"}]
        turn = agent.run_turn(thread, message="yes")
        assert skill.published == ["résumé"]
        assert [m.role for m in agent.history(thread)] == ["user", "assistant", "tool", "assistant"]
        assert not turn.waiting_for_review


def test_reject_and_edit_decisions(store: Store) -> None:
    skill = NotesSkill()
    agent = _agent(store, skill)
    thread = agent.run_turn(message="publish draft A").thread_id
    rejected = agent.run_turn(thread, decision=ReviewDecision(type="reject", message="not yet"))
    assert skill.published == []
    assert [m.status for m in rejected.messages if m.role == "tool"] == ["error"]
    assert "not yet" in rejected.messages[0].content

    agent.run_turn(thread, message="publish draft B")
    agent.run_turn(thread, decision=ReviewDecision(type="edit", args={"text": "draft C"}))
    assert skill.published == ["draft C"]


def test_other_text_at_review_rejects_then_runs_as_a_new_instruction(store: Store) -> None:
    skill = NotesSkill()
    agent = _agent(store, skill)
    thread = agent.run_turn(message="publish one").thread_id
    turn = agent.run_turn(thread, message="publish two")
    assert skill.published == []
    assert [r.args for r in turn.pending_review] == [{"text": "two"}]
    assert turn.messages[0].role == "tool" and "publish two" in turn.messages[0].content
    assert [m.content for m in turn.messages if m.role == "user"] == ["publish two"]


def test_decision_words() -> None:
    assert decision_from_text("Approve") == ReviewDecision(type="approve")
    assert decision_from_text(" yes! ") == ReviewDecision(type="approve")
    assert decision_from_text("Send") == ReviewDecision(type="approve")
    assert decision_from_text("don't send") == ReviewDecision(type="reject")
    assert decision_from_text("No") == ReviewDecision(type="reject")
    assert decision_from_text("change the subject to X") is None


def test_a_tool_name_defined_twice_is_a_configuration_error(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="publish_note"):
        CommunicatorAgent(
            [NotesSkill(), NotesSkill()], model=ScriptedModel(), checkpointer=postgres_checkpointer(store)
        )


def test_message_or_decision_is_required(store: Store) -> None:
    agent = _agent(store, NotesSkill())
    with pytest.raises(InvalidRequest):
        agent.run_turn(message="x", decision=ReviewDecision(type="approve"))
