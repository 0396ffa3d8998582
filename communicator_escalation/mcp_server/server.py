"""The escalation tools as an MCP server (the official `mcp` SDK's FastMCP), over stdio or streamable HTTP.

The tools are the skill's own LangChain tools (same names, argument schemas and JSON results), called
with the acting staff member: over stdio the one the server was started for (`--as`, default the
account's CSM, as in the CLI); over HTTP the one whose bearer token authenticated the request
(`escalation token create`). There is no review card over MCP, so the send tool only requests
approval (`EscalationSkill.hostless_tools`).

Arguments reach the tool as the client sent them: FastMCP's own argument model is not used (it would
drop unknown fields), so the tool's strict `*Args` model judges them, and a refusal (an unknown field,
a bad id, a control character) is a tool result with `isError` and the `invalid_arguments` error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.tools import Tool
from mcp.server.fastmcp.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.lowlevel.server import request_ctx
from mcp.types import CallToolResult, TextContent
from pydantic import ConfigDict
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware

from ..agent.host import ACTOR_KEY
from ..api.limits import BodyLimit
from ..agent.skill import EscalationSkill
from ..agent.tools.errors import ErrorResult
from ..agent.tools.results import parse_tool_result
from ..rendering import render
from ..store import Store
from .bearer import BearerTokens, on_auth_error
from .http_body import Utf8Bodies
from .stdio import stdio_transport

__all__ = ["SERVER_NAME", "build_server", "http_app"]

SERVER_NAME = "escalation"

ActorOf = Callable[[], str | None]


class _AsSent(ArgModelBase):
    """Every argument as the client sent it, unknown ones included: the tool's own model judges them."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        """The arguments, untouched."""
        return dict(self.model_extra or {})


def _fixed(actor: str | None) -> ActorOf:
    return lambda: actor


def _token_owner() -> str | None:
    """The staff id the HTTP request's bearer token authenticated (BearerTokens put it on the request)."""
    user = getattr(request_ctx.get().request, "user", None)
    return getattr(user, "username", None)


def _served(tool: BaseTool, actor_of: ActorOf) -> Tool:
    """`tool` as an MCP tool called with the request's actor; an error result is flagged `isError`."""

    async def call(**arguments: Any) -> CallToolResult:
        text = str(await tool.ainvoke(arguments, config={"configurable": {ACTOR_KEY: actor_of()}}))
        failed = isinstance(parse_tool_result(text), ErrorResult)
        return CallToolResult(content=[TextContent(type="text", text=text)], isError=failed)

    return Tool(
        fn=call,
        name=tool.name,
        description=tool.description,
        parameters=tool.tool_call_schema.model_json_schema(),
        fn_metadata=FuncMetadata(arg_model=_AsSent),
        is_async=True,
    )


class _Server(FastMCP):  # type: ignore[type-arg]
    """FastMCP whose stdio transport reads lines as its HTTP transport reads bodies (`stdio.py`)."""

    async def run_stdio_async(self) -> None:
        """Serve one client over this process's stdin and stdout."""
        server = self._mcp_server
        async with stdio_transport() as (read, write):
            await server.run(read, write, server.create_initialization_options())


def build_server(skill: EscalationSkill, *, actor: str | None = None, over_http: bool = False) -> FastMCP:
    """The MCP server of `skill`'s tools.

    Args:
        skill: The escalation skill (its store, mailer and policy).
        actor: Over stdio, the staff id the tools act as (None: the account's CSM).
        over_http: Serve streamable HTTP: every request acts as its bearer token's staff member.
    """
    actor_of = _token_owner if over_http else _fixed(actor)
    return _Server(
        SERVER_NAME,
        instructions=render("mcp/instructions.j2").strip(),
        tools=[_served(tool, actor_of) for tool in skill.hostless_tools],
        stateless_http=True,  # each request is its own session: the tools keep no state between calls
        log_level="WARNING",
    )


def http_app(server: FastMCP, store: Store, *, max_body_bytes: int) -> Starlette:
    """The streamable HTTP app (`/mcp`): every request authenticated by an escalation bearer token, its
    body at most `max_body_bytes` (413 beyond, as the API: ESCALATION_MAX_REQUEST_BYTES) and UTF-8."""
    app = server.streamable_http_app()
    app.add_middleware(Utf8Bodies)
    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)
    app.add_middleware(AuthenticationMiddleware, backend=BearerTokens(store), on_error=on_auth_error)
    return app
