"""langchain-tests' standard unit suite (`ToolsUnitTests`) for every escalation tool.

The suite builds and inspects tools without calling them, so the skill is given a store whose pool
is never opened: building the tools touches no database. One test class per tool, with an example
call that satisfies its args schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ToolsUnitTests
from psycopg_pool import ConnectionPool

from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.args import TOOL_ARGS, ToolName
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.policy import Policy

EXAMPLES: dict[ToolName, dict[str, Any]] = {
    ToolName.GATHER_CONTEXT: {"customer": "Brightpath"},
    ToolName.PICK_STRATEGY: {"signal_id": "sig-7"},
    ToolName.DRAFT_RESPONSE: {"customer": "Müller & Söhne", "instructions": "keep it short"},
    ToolName.SUGGEST_CCS: {"response_id": "resp-1"},
    ToolName.EDIT_DRAFT: {"response_id": "resp-1", "replace": "Monday", "with_text": "Tuesday"},
    ToolName.ADD_CCS: {"response_id": "resp-1", "who": ["my manager", "support lead"]},
    ToolName.REMOVE_CCS: {"response_id": "resp-1", "who": ["Elena"]},
    ToolName.SHOW_DRAFT: {"response_id": "resp-1"},
    ToolName.SEND_RESPONSE: {"response_id": "resp-1", "urgent": True},
    ToolName.CANCEL_RESPONSE: {"response_id": "resp-1"},
    ToolName.LIST_OPEN: {"scope": "mine", "severity": ["critical", "high"], "limit": 5},
    ToolName.DRAFT_UPDATE: {"customer": "Nordlicht Café"},
}


def _tools() -> dict[str, BaseTool]:
    unopened = Store(ConnectionPool("dbname=unused", open=False), "dbname=unused")
    skill = EscalationSkill(unopened, OutboxMailer(Path("unused-outbox")), Policy())
    return {tool.name: tool for tool in skill.tools}


TOOLS = _tools()


class _EscalationToolTests(ToolsUnitTests):
    name: ToolName

    @property
    def tool_constructor(self) -> BaseTool:
        return TOOLS[self.name.value]

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return EXAMPLES[self.name]


for _name in ToolName:
    _cls = type(f"Test_{_name.value}", (_EscalationToolTests,), {"name": _name})
    globals()[_cls.__name__] = _cls


def test_every_tool_is_covered_and_every_field_is_described() -> None:
    assert set(TOOLS) == {name.value for name in ToolName} == {name.value for name in EXAMPLES}
    for name, tool in TOOLS.items():
        assert tool.args_schema is TOOL_ARGS[ToolName(name)]
        assert tool.description and "\n" not in tool.description
        schema = tool.tool_call_schema.model_json_schema()  # what the model sees: compact, every field described
        assert all(field.get("description") for field in schema["properties"].values()), name
        assert "anyOf" not in json.dumps(schema) and "maxLength" not in json.dumps(schema), name


def test_the_send_tool_takes_no_addresses_or_text() -> None:
    schema = TOOLS[ToolName.SEND_RESPONSE.value].tool_call_schema.model_json_schema()
    assert set(schema["properties"]) == {"response_id", "urgent"}


@pytest.mark.parametrize("args", [{}, {"response_id": "r", "to": "attacker@example.com"}, {"response_id": ""}])
def test_invalid_send_arguments_come_back_as_an_error_result(args: dict[str, Any]) -> None:
    content = TOOLS[ToolName.SEND_RESPONSE.value].invoke(args)
    assert '"kind":"error"' in content and '"invalid_arguments"' in content
