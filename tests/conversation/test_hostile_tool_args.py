"""Hostile tool arguments in a conversation turn: an LLM (ChatOpenAI on the loopback OpenAI server) calls
the escalation tools with NUL, escape sequences, U+2028 and encoded-words in the subject, a lone
surrogate, unknown fields and malformed ids. Each call comes back to the model as a readable
`invalid_arguments` result naming the field, the turn ends with the model's answer (no exception, in
every turn mode), and the database is unchanged.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.safe_text import text_problem
from communicator_escalation.store import Store
from communicator_escalation.workflow.policy import Policy
from tests.support.db_state import database_state
from tests.support.openai_server import OpenAIServer
from tests.support.scripted_llm import ScriptedLLM, Step
from tests.support.turn_modes import TurnDriver

DRAFT = "Draft escalation response for DataFlow"
HOSTILE: dict[str, tuple[ToolName, dict[str, Any], str]] = {  # what the CSM says: the call the LLM makes, the field
    "subject with a NUL": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "Update\x00"}, "subject"),
    "subject with escapes": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "\x1b]0;pwned\x07Hi"}, "subject"),
    "subject with U+2028": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "Hi\u2028Bcc: x@evil.example"},
                            "subject"),
    "subject as an encoded word": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "=?utf-8?b?SGk=?="},
                                   "subject"),
    "subject with a lone surrogate": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "Hi \ud800"}, "subject"),
    "body with escapes": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "body": "Hi \x1b[2J\x1b[8m"}, "body"),
    "a bcc field": (ToolName.EDIT_DRAFT, {"response_id": "$draft", "subject": "Hi", "bcc": "x@evil.example"}, "bcc"),
    "cc with escapes": (ToolName.ADD_CCS, {"response_id": "$draft", "who": ["\x1b[31mthe CEO"]}, "who.0"),
    "a bad response id": (ToolName.SHOW_DRAFT, {"response_id": "x' OR '1'='1"}, "response_id"),
    "a signal id with a NUL": (ToolName.PICK_STRATEGY, {"signal_id": "rs-1\x00"}, "signal_id"),
    "another actor": (ToolName.GATHER_CONTEXT, {"customer": "DataFlow", "actor_id": "someone-else"}, "actor_id"),
}
SCRIPTS: dict[str, list[Step]] = {
    DRAFT: [[(ToolName.GATHER_CONTEXT.value, {"customer": "DataFlow"}), (ToolName.DRAFT_RESPONSE.value, {"customer": "DataFlow"})]],
    **{said: [[(tool.value, args)]] for said, (tool, args, _) in HOSTILE.items()},
}


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        server.reply(*([ScriptedLLM(SCRIPTS)] * 1000))
        yield server


@pytest.fixture
def chatopenai(openai_server: OpenAIServer) -> Iterator[BaseChatModel]:
    tls = ssl.create_default_context()
    with httpx.Client(verify=tls) as sync_client:
        yield ChatOpenAI(
            model="gpt-4o-mini", api_key="sk-test", base_url=openai_server.base_url, max_retries=0,
            http_client=sync_client, http_async_client=httpx.AsyncClient(verify=tls),
        )


def test_hostile_tool_arguments_are_explained_to_the_model_and_change_nothing(
    demo_world: dict[str, Any], store: Store, chatopenai: BaseChatModel, tmp_path: Path,
    drive: Callable[[CommunicatorAgent], TurnDriver],
) -> None:
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), llm=chatopenai)
    agent = drive(CommunicatorAgent([skill], model=chatopenai, checkpointer=postgres_checkpointer(store)))
    thread = agent.run_turn(None, message=DRAFT).thread_id
    before = database_state(store)
    for said, (tool, _, field) in HOSTILE.items():
        turn = agent.run_turn(thread, message=said)
        [result] = [m for m in turn.messages if m.role == "tool"]
        assert result.name == tool.value and result.data is not None, said
        error = result.data["error"]
        assert error["code"] == "invalid_arguments" and error["message"].startswith(field), (said, error)
        assert text_problem(result.content, multiline=False) is None, result.content  # nothing hostile comes back raw
        assert error["message"] in turn.reply  # the model read the error and relayed it
    assert database_state(store) == before
    assert not list((tmp_path / "outbox").glob("**/*.eml"))
