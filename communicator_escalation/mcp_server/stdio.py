"""The MCP stdio transport, reading each line as the streamable HTTP transport reads a request body.

mcp's own stdio transport parses a line with pydantic's JSON parser, which refuses a lone UTF-16
surrogate escape (`"\\ud800"`) in any string: the request is dropped unanswered and the client waits
forever. Here a line is read by Python's `json`, as the HTTP transport reads a body, and validated as
a JSON-RPC message, so the tool's argument model refuses the surrogate with a clear error. Bytes that
are not UTF-8 become lone surrogates (refused the same way) instead of being replaced unseen; a line
that is not JSON, or not a JSON-RPC message, is answered with a JSON-RPC error (id null when it has
none) instead of an "Internal Server Error" log message. Output is ASCII JSON, so nothing a client
sent can break it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import TextIOWrapper
from typing import IO, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, JSONRPCMessage
from pydantic import ValidationError

from ..safe_text import input_problems

__all__ = ["read_message", "stdio_transport"]

Incoming = SessionMessage | Exception


def _error(ident: Any, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error answer (id null when the request's id cannot be read)."""
    known = isinstance(ident, str | int) and not isinstance(ident, bool)
    return {"jsonrpc": "2.0", "id": ident if known else None, "error": {"code": code, "message": message}}


def read_message(line: str) -> SessionMessage | dict[str, Any]:
    """One line from the client: the message, or the JSON-RPC error to answer it with."""
    try:
        raw: Any = json.loads(line)
    except ValueError as err:
        return _error(None, PARSE_ERROR, f"Parse error: {err}")
    try:
        return SessionMessage(JSONRPCMessage.model_validate(raw))
    except ValidationError as err:
        ident = raw.get("id") if isinstance(raw, dict) else None
        return _error(ident, INVALID_REQUEST, "Invalid request: " + "; ".join(input_problems(err.errors())))


@asynccontextmanager
async def stdio_transport(
    stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None
) -> AsyncIterator[tuple[MemoryObjectReceiveStream[Incoming], MemoryObjectSendStream[SessionMessage]]]:
    """The (read, write) streams of an MCP session over this process's stdin and stdout."""
    reader = anyio.wrap_file(TextIOWrapper(stdin or sys.stdin.buffer, encoding="utf-8", errors="surrogateescape"))
    writer = anyio.wrap_file(TextIOWrapper(stdout or sys.stdout.buffer, encoding="ascii"))
    incoming_send, incoming = anyio.create_memory_object_stream[Incoming](0)
    outgoing, outgoing_receive = anyio.create_memory_object_stream[SessionMessage](0)

    writing = anyio.Lock()

    async def write(data: dict[str, Any]) -> None:
        async with writing:
            await writer.write(json.dumps(data, ensure_ascii=True) + "\n")
            await writer.flush()

    async def read_lines() -> None:
        async with incoming_send:
            async for line in reader:
                if line.strip():
                    message = read_message(line)
                    await (write(message) if isinstance(message, dict) else incoming_send.send(message))

    async def write_lines() -> None:
        async with outgoing_receive:
            async for message in outgoing_receive:
                await write(message.message.model_dump(mode="json", by_alias=True, exclude_none=True))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read_lines)
        tasks.start_soon(write_lines)
        yield incoming, outgoing
