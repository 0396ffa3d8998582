"""The offline chat model inside a real LangChain agent with the human-in-the-loop review.

The tools here return fixed results through the real tool contract (args schemas in, JSON results
out); they stand in for the store-backed skill so the agent loop, ToolNode and
HumanInTheLoopMiddleware run for real around the model.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import BaseModel

from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.tools.args import TOOL_ARGS, ToolName
from communicator_escalation.agent.tools.results import ErrorDetail, ErrorResult
from tests.support.offline_chat import context_result, draft_result, send_result


class _Agent:
    def __init__(self, results: dict[ToolName, BaseModel]) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.graph = create_agent(
            OfflineChatModel(),
            tools=[self._tool(name, result) for name, result in results.items()],
            middleware=[HumanInTheLoopMiddleware(interrupt_on={ToolName.SEND_RESPONSE.value: True})],
            checkpointer=InMemorySaver(),
        )
        self.config = {"configurable": {"thread_id": "thread-1"}}

    def _tool(self, name: ToolName, result: BaseModel) -> StructuredTool:
        def run(**kwargs: Any) -> str:
            self.calls.append((name.value, {k: v for k, v in kwargs.items() if v is not None}))
            return result.to_content()

        return StructuredTool.from_function(func=run, name=name.value, description=name.value, args_schema=TOOL_ARGS[name])

    def say(self, text: str) -> dict[str, Any]:
        return self.graph.invoke({"messages": [{"role": "user", "content": text}]}, self.config)

    def decide(self, decision: dict[str, Any]) -> dict[str, Any]:
        return self.graph.invoke(Command(resume={"decisions": [decision]}), self.config)


@pytest.fixture
def agent() -> _Agent:
    return _Agent(
        {
            ToolName.GATHER_CONTEXT: context_result(),
            ToolName.DRAFT_RESPONSE: draft_result(),
            ToolName.SEND_RESPONSE: send_result(),
        }
    )


def _last_text(state: dict[str, Any]) -> str:
    message = state["messages"][-1]
    assert isinstance(message, AIMessage) and not message.tool_calls
    return message.content


def test_draft_then_send_urgently_with_approval(agent: _Agent) -> None:
    drafted = _last_text(agent.say("Draft escalation response for Müller"))
    assert drafted.startswith("I see Müller Logistik GmbH has an active escalation.")
    assert drafted.endswith("[Edit] [Add CCs] [Send Urgently]")
    assert agent.calls == [
        ("gather_escalation_context", {"request": "Draft escalation response for Müller"}),
        ("draft_escalation_response", {"signal_id": "SIG/2027/0042"}),
    ]

    paused = agent.say("Send Urgently")
    (interrupt,) = paused["__interrupt__"]
    (request,) = interrupt.value["action_requests"]
    assert request["args"] == {"response_id": "resp-9f2", "urgent": True}
    assert len(agent.calls) == 2

    sent = _last_text(agent.decide({"type": "approve"}))
    assert agent.calls[-1] == ("send_escalation_response", {"response_id": "resp-9f2", "urgent": True})
    assert "Escalation response sent to Müller Logistik GmbH. Response time logged: 37 minutes from escalation." in sent


def test_rejected_send_is_not_executed_and_is_reported(agent: _Agent) -> None:
    agent.say("Draft escalation response for Müller")
    agent.say("send it")
    answer = _last_text(agent.decide({"type": "reject", "message": "Legal must read it first"}))
    assert [name for name, _ in agent.calls] == ["gather_escalation_context", "draft_escalation_response"]
    assert answer.splitlines()[:2] == [
        "The send was rejected in review, so nothing was sent.",
        "Reason given: Legal must read it first.",
    ]


def test_reviewer_edit_of_the_send_is_noted(agent: _Agent) -> None:
    agent.say("Draft escalation response for Müller")
    agent.say("Send Urgently")
    edited = {"name": ToolName.SEND_RESPONSE.value, "args": {"response_id": "resp-9f2", "urgent": False}}
    answer = _last_text(agent.decide({"type": "edit", "edited_action": edited}))
    assert agent.calls[-1] == ("send_escalation_response", {"response_id": "resp-9f2", "urgent": False})
    assert answer.startswith("(The reviewer adjusted the send_escalation_response step before it ran.)")


def test_an_expected_failure_ends_the_turn_with_an_explanation() -> None:
    missing = ErrorResult(error=ErrorDetail(code="no_open_escalation", message="Müller Logistik GmbH has no open escalation"))
    agent = _Agent({ToolName.GATHER_CONTEXT: missing, ToolName.DRAFT_RESPONSE: draft_result()})
    answer = _last_text(agent.say("Respond to Müller escalation"))
    assert agent.calls == [("gather_escalation_context", {"request": "Respond to Müller escalation"})]
    assert answer.startswith("Müller Logistik GmbH has no open escalation.")
