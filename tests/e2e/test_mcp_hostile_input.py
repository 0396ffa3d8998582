"""Hostile input at the MCP door: every refused call is a clear tool error, never a traceback or a 5xx,
and the database is unchanged afterwards.

The official `mcp` client drives `escalation mcp` over stdio and streamable HTTP with NUL, escape
sequences, U+2028 and encoded-words in the subject, unknown fields and malformed ids. What the client
library refuses to encode (a lone surrogate, bytes that are not UTF-8) is written raw, as an attacker
would: as a stdio line and as an HTTP body. The HTTP transport also gets bodies over the request limit.
"""

from __future__ import annotations

import asyncio
import json
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

from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.safe_text import text_problem
from communicator_escalation.store import Store
from tests.support.db_state import database_state
from tests.support.servers import child_env, free_port, running

ESCALATION = str(Path(sys.executable).with_name("escalation"))
MAX_BODY = 64 * 1024
T = TypeVar("T")
R = "$response"  # filled with the id of the draft the test made

HOSTILE: list[tuple[ToolName, dict[str, Any], str]] = [  # (tool, arguments, the field the error names)
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "Update\x00"}, "subject"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "\x1b]8;;https://evil.example\x1b\\Click\x1b]8;;\x1b\\"}, "subject"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "Update\u2028Bcc: x@evil.example"}, "subject"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "=?utf-8?q?Hi=0D=0ABcc:_x@evil.example?="}, "subject"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "body": "Hello \x1b[2J\x1b[31mtrust me"}, "body"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "Fine", "bcc": "x@evil.example"}, "bcc"),
    (ToolName.EDIT_DRAFT, {"response_id": R, "subject": "Fine", "\x1b[2Jcc": "x@evil.example"}, "'\\x1b[2Jcc'"),
    (ToolName.SEND_RESPONSE, {"response_id": R, "to": "x@evil.example"}, "to"),
    (ToolName.SEND_RESPONSE, {"response_id": R, "content_hash": "0" * 63}, "content_hash"),
    (ToolName.ADD_CCS, {"response_id": R, "who": ["\x1b[31mthe CEO"]}, "who.0"),
    (ToolName.SHOW_DRAFT, {"response_id": "resp-1\x00"}, "response_id"),
    (ToolName.SHOW_DRAFT, {"response_id": "../../etc/passwd"}, "response_id"),
    (ToolName.CANCEL_RESPONSE, {"response_id": "r" * 300}, "response_id"),
    (ToolName.SEND_RESPONSE, {"response_id": "' OR 1=1 --"}, "response_id"),
    (ToolName.PICK_STRATEGY, {"signal_id": "rs-1\x00"}, "signal_id"),
    (ToolName.GATHER_CONTEXT, {"customer": "DataFlow\x1b[2J"}, "customer"),
    (ToolName.GATHER_CONTEXT, {"customer": "DataFlow", "actor_id": "someone-else"}, "actor_id"),
    (ToolName.DRAFT_RESPONSE, {"customer": "DataFlow", "instructions": "promise a refund\x00"}, "instructions"),
    (ToolName.LIST_OPEN, {"scope": "all", "limit": 10, "sql": "DROP TABLE customers"}, "sql"),
]


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return child_env(db_url, tmp_path / "home", ESCALATION_MAX_REQUEST_BYTES=str(MAX_BODY))


def _refusal(text: str, field: str) -> str:
    """The invalid_arguments message of a refused call's result text, which names `field`."""
    assert text_problem(text, multiline=False) is None, text  # nothing the caller sent comes back raw
    error = json.loads(text)["error"]
    assert error["code"] == "invalid_arguments" and field in error["message"], error
    return str(error["message"])


def _refused(result: CallToolResult, field: str) -> str:
    assert result.isError
    [content] = result.content
    assert isinstance(content, TextContent)
    return _refusal(content.text, field)


async def _draft(client: ClientSession) -> str:
    drafted = await client.call_tool(ToolName.DRAFT_RESPONSE.value, {"customer": "DataFlow"})
    assert not drafted.isError, drafted.content
    [content] = drafted.content
    assert isinstance(content, TextContent)
    return str(json.loads(content.text)["response_id"])


async def _every_hostile_call(client: ClientSession, response_id: str) -> list[str]:
    messages = []
    for tool, arguments, field in HOSTILE:
        given = {k: response_id if v == R else v for k, v in arguments.items()}
        messages.append(_refused(await client.call_tool(tool.value, given), field))
    return messages


def _stdio(env: dict[str, str], use: Callable[[ClientSession], Awaitable[T]]) -> T:
    async def session() -> T:
        params = StdioServerParameters(command=ESCALATION, args=["mcp"], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            return await use(client)

    return asyncio.run(session())


def test_stdio_refuses_hostile_arguments_with_a_tool_error_and_changes_nothing(
    env: dict[str, str], demo_world: dict[str, Any], store: Store
) -> None:
    states: list[dict[str, list[Any]]] = []

    async def use(client: ClientSession) -> list[str]:
        response_id = await _draft(client)
        states.append(database_state(store))
        refused = await _every_hostile_call(client, response_id)
        shown = await client.call_tool(ToolName.SHOW_DRAFT.value, {"response_id": response_id})
        assert not shown.isError, shown.content  # the server still serves after every refusal
        return refused

    messages = _stdio(env, use)
    assert database_state(store) == states[0]
    assert len(messages) == len(HOSTILE)
    assert "Extra inputs are not permitted" in messages[5] and "U+2028" in messages[2]


async def _raw_stdio_exchange(env: dict[str, str], lines: list[bytes]) -> list[dict[str, Any]]:
    """Write `lines` to `escalation mcp` one at a time; each line with an id gets its answer read back."""
    server = await asyncio.create_subprocess_exec(
        ESCALATION, "mcp", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    answers = []
    try:
        for line in lines:
            server.stdin.write(line + b"\n")
            await server.stdin.drain()
            if b'"id"' in line or not line.startswith(b"{"):
                answers.append(json.loads(await asyncio.wait_for(server.stdout.readline(), timeout=60)))
    finally:
        server.stdin.close()
        await asyncio.wait_for(server.wait(), timeout=30)
    return answers


def _call(ident: int, tool: ToolName, arguments: dict[str, Any]) -> bytes:
    """A tools/call request as JSON text (`json.dumps` writes a lone surrogate as its \\u escape)."""
    params = {"name": tool.value, "arguments": arguments}
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": params}).encode()


def test_stdio_answers_lone_surrogates_bad_bytes_and_bad_messages_and_changes_nothing(
    env: dict[str, str], demo_world: dict[str, Any], store: Store
) -> None:
    response_id = _stdio(env, _draft)
    before = database_state(store)
    initialize = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
    answers = asyncio.run(_raw_stdio_exchange(env, [
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}).encode(),
        b'{"jsonrpc": "2.0", "method": "notifications/initialized"}',
        _call(2, ToolName.EDIT_DRAFT, {"response_id": response_id, "subject": "Update \ud800"}),
        _call(3, ToolName.EDIT_DRAFT, {"response_id": response_id, "body": "Hi\udfff"}),
        _call(4, ToolName.EDIT_DRAFT, {"response_id": response_id, "subject": "Caf-"}).replace(b"Caf-", b"Caf\xe9"),
        _call(5, ToolName.GATHER_CONTEXT, {"customer": "DataFlow", "\ud800": 1}),
        b"this is not JSON",
        b'{"jsonrpc": "1.0", "id": 6, "method": 7}',
        _call(7, ToolName.SHOW_DRAFT, {"response_id": response_id}),
    ]))
    assert [a.get("id") for a in answers] == [1, 2, 3, 4, 5, None, 6, 7], answers
    for answer, field in zip(answers[1:4], ["subject", "body", "subject"], strict=True):
        assert "result" in answer and answer["result"]["isError"] is True, answer
        assert "surrogate" in _refusal(answer["result"]["content"][0]["text"], field)
    assert answers[4]["error"]["code"] == -32602  # a surrogate in a key: mcp refuses the request's parameters
    assert answers[5]["error"]["code"] == -32700  # not JSON: a parse error, id null
    assert answers[6]["error"]["code"] == -32600 and "jsonrpc" in answers[6]["error"]["message"]
    assert answers[7]["result"].get("isError") is not True  # still serving
    assert database_state(store) == before


def _sse_result(answer: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of a streamable HTTP answer (an SSE event or plain JSON)."""
    assert answer.status_code == 200, answer.text
    if answer.headers["content-type"].startswith("application/json"):
        parsed: dict[str, Any] = answer.json()
        return parsed
    data = [line.removeprefix("data:").strip() for line in answer.text.splitlines() if line.startswith("data:")]
    parsed = json.loads(data[-1])
    return parsed


@pytest.mark.slow
def test_streamable_http_refuses_hostile_input_oversize_and_bad_bytes_and_changes_nothing(
    env: dict[str, str], demo_world: dict[str, Any], store: Store, tmp_path: Path
) -> None:
    dataflow = next(c for c in demo_world["customers"] if c["name"].startswith("DataFlow"))
    token = create_token(store, staff_id=dataflow["csm_id"]).token
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}
    made: dict[str, Any] = {}  # the draft's id and the database state after drafting

    async def session() -> list[str]:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}))
            read, write, _ = await stack.enter_async_context(streamable_http_client(url, http_client=http))
            client = await stack.enter_async_context(ClientSession(read, write))
            await client.initialize()
            made["response_id"] = response_id = await _draft(client)
            made["state"] = database_state(store)
            return await _every_hostile_call(client, response_id)

    def oversized() -> Any:
        yield b'{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "edit_escalation_draft",'
        yield b' "arguments": {"response_id": "r", "body": "'
        for _ in range(MAX_BODY // 4096 + 1):
            yield b"y" * 4096
        yield b'"}}}'

    command = [ESCALATION, "mcp", "--transport", "http", "--port", str(port)]
    with running(command, env=env, cwd=tmp_path, ready_url=url):
        messages = asyncio.run(asyncio.wait_for(session(), timeout=120))  # a hang is a failure, not a stuck suite
        response_id = made["response_id"]
        surrogate = httpx.post(url, headers=headers, content=_call(1, ToolName.EDIT_DRAFT, {
            "response_id": response_id, "subject": "Update \ud800"}))
        declared = httpx.post(url, headers=headers, content=_call(2, ToolName.EDIT_DRAFT, {
            "response_id": response_id, "body": "x" * MAX_BODY}))
        streamed = httpx.post(url, headers=headers, content=oversized())
        not_utf8 = httpx.post(url, headers=headers, content=_call(3, ToolName.EDIT_DRAFT, {
            "response_id": response_id, "subject": "Caf-"}).replace(b"Caf-", b"Caf\xe9"))
        log = (tmp_path / "server.log").read_text(errors="replace")
    assert len(messages) == len(HOSTILE)
    result = _sse_result(surrogate)["result"]
    assert result["isError"] is True and "surrogate" in _refusal(result["content"][0]["text"], "subject")
    for too_large in (declared, streamed):
        assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "request_too_large"
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert not_utf8.status_code == 400 and not_utf8.json()["error"]["code"] == -32700
    assert "Traceback" not in log
    assert database_state(store) == made["state"]
