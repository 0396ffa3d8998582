"""`escalation mcp`: the skill's typed tools over MCP, driven by the official `mcp` client.

Over stdio the client starts the real console script; over streamable HTTP the server runs on a
loopback port and every request carries a bearer token. Expected facts come from the world file,
the database and the CLI, never literals.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from communicator_escalation.agent.tools.results import ContextResult
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.models import EscalationContext
from communicator_escalation.store import Store
from communicator_escalation.auth.tokens import create_token
from tests.support.plain_install import optional_modules, plain_python
from tests.support.servers import child_env, free_port, running

ESCALATION = str(Path(sys.executable).with_name("escalation"))
T = TypeVar("T")


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return child_env(db_url, tmp_path / "home")


def _stdio(env: dict[str, str], use: Callable[[ClientSession], Awaitable[T]], command: list[str] | None = None) -> T:
    async def session() -> T:
        program, *args = command or [ESCALATION, "mcp"]
        params = StdioServerParameters(command=program, args=args, env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            return await use(client)

    return asyncio.run(session())


def _json(result: CallToolResult) -> dict[str, Any]:
    assert not result.isError, result.content
    [content] = result.content
    assert isinstance(content, TextContent)
    parsed: dict[str, Any] = json.loads(content.text)
    return parsed


def test_stdio_lists_the_typed_tools_and_the_context_matches_the_cli(
    env: dict[str, str], demo_world: dict[str, Any]
) -> None:
    async def use(client: ClientSession) -> tuple[Any, dict[str, Any]]:
        listed = await client.list_tools()
        return listed, _json(await client.call_tool(ToolName.GATHER_CONTEXT.value, {"customer": "DataFlow"}))

    listed, context = _stdio(env, use)
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == {name.value for name in ToolName}
    assert set(tools[ToolName.SEND_RESPONSE.value].inputSchema["properties"]) == {"response_id", "urgent"}
    assert "Nothing is sent over MCP" in (tools[ToolName.SEND_RESPONSE.value].description or "")

    cli = subprocess.run(
        [ESCALATION, "context", "--customer", "DataFlow", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert cli.returncode == 0, cli.stderr
    expected = ContextResult.from_context(EscalationContext.model_validate_json(cli.stdout)).model_dump(mode="json")
    served = ContextResult.model_validate(context).model_dump(mode="json")
    hours = "unresolved_for_hours"  # measured at each call: the two calls are moments apart
    assert abs(served["details"].pop(hours) - expected["details"].pop(hours)) <= 0.1
    assert served == expected
    dataflow = next(c for c in demo_world["customers"] if c["name"].startswith("DataFlow"))
    assert served["customer"] == {"id": dataflow["id"], "name": dataflow["name"]}


def test_over_mcp_the_send_only_requests_approval(
    env: dict[str, str], demo_world: dict[str, Any], store: Store, tmp_path: Path
) -> None:
    async def use(client: ClientSession) -> tuple[dict[str, Any], dict[str, Any]]:
        draft = _json(await client.call_tool(ToolName.DRAFT_RESPONSE.value, {"customer": "DataFlow"}))
        sent = await client.call_tool(ToolName.SEND_RESPONSE.value, {"response_id": draft["response_id"], "urgent": True})
        return draft, _json(sent)

    draft, requested = _stdio(env, use)
    outbox = tmp_path / "home" / "outbox"
    assert requested["status"] == "approved" and requested["approval"]["decided_by"] == "policy:expedited"
    assert "not sent" in requested["message"]
    assert list(outbox.glob("**/*.eml")) == []
    with store.connection() as conn:
        status = conn.execute("SELECT status FROM escalation_responses WHERE id = %s", (draft["response_id"],)).fetchone()
    assert status["status"] == "approved"

    sent = subprocess.run([ESCALATION, "send", draft["response_id"]], env=env, capture_output=True, text=True, check=False)
    assert sent.returncode == 0, sent.stderr
    assert len(list(outbox.glob("**/*.eml"))) == 1


@pytest.mark.slow
def test_streamable_http_acts_as_the_tokens_staff_member(
    env: dict[str, str], demo_world: dict[str, Any], store: Store, tmp_path: Path
) -> None:
    dataflow = next(c for c in demo_world["customers"] if c["name"].startswith("DataFlow"))
    outsider = next(s["id"] for s in demo_world["staff"] if s["role"] == "csm" and s["id"] != dataflow["csm_id"])
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"

    async def gather(token: str) -> dict[str, Any]:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}))
            read, write, _ = await stack.enter_async_context(streamable_http_client(url, http_client=http))
            client = await stack.enter_async_context(ClientSession(read, write))
            await client.initialize()
            result = await client.call_tool(ToolName.GATHER_CONTEXT.value, {"customer": "DataFlow"})
            [content] = result.content
            assert isinstance(content, TextContent)
            parsed: dict[str, Any] = json.loads(content.text)
            return parsed

    command = [ESCALATION, "mcp", "--transport", "http", "--port", str(port)]
    with running(command, env=env, cwd=tmp_path, ready_url=url):
        own = asyncio.run(gather(create_token(store, staff_id=dataflow["csm_id"]).token))
        other = asyncio.run(gather(create_token(store, staff_id=outsider).token))
        anonymous = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert own["kind"] == "context" and own["customer"]["id"] == dataflow["id"]
    assert other["error"]["code"] == "customer_not_found" and dataflow["name"] not in json.dumps(other)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"


def test_escalation_mcp_runs_on_a_plain_install_without_the_extras(
    env: dict[str, str], demo_world: dict[str, Any]
) -> None:
    assert "langchain_mcp_adapters" in optional_modules() and "pytest" in optional_modules()
    plain = plain_python("import sys\nfrom communicator_escalation.cli import main\nsys.argv = ['escalation', 'mcp']\nmain()")

    async def use(client: ClientSession) -> tuple[int, dict[str, Any]]:
        listed = await client.list_tools()
        return len(listed.tools), _json(await client.call_tool(ToolName.GATHER_CONTEXT.value, {"customer": "DataFlow"}))

    count, context = _stdio(env, use, command=plain)
    dataflow = next(c for c in demo_world["customers"] if c["name"].startswith("DataFlow"))
    assert count == len(ToolName) and context["customer"]["id"] == dataflow["id"]
