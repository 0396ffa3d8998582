"""The escalation tools as an MCP server (the official `mcp` SDK's FastMCP), over stdio or streamable HTTP.

The tools are the skill's own LangChain tools (same names, argument schemas and JSON results),
converted by langchain-mcp-adapters' `to_fastmcp` and called with the acting staff member: over stdio
the one the server was started for (`--as`, default the account's CSM, as in the CLI); over HTTP the
one whose bearer token authenticated the request (`escalation token create`). There is no review
card over MCP, so the send tool only requests approval (`EscalationSkill.hostless_tools`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.tools import to_fastmcp
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.tools import Tool
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware

from ..agent.host import ACTOR_KEY
from ..agent.skill import EscalationSkill
from ..rendering import render
from ..store import Store
from .bearer import BearerTokens, on_auth_error

__all__ = ["SERVER_NAME", "build_server", "http_app"]

SERVER_NAME = "escalation"

ActorOf = Callable[[Context[Any, Any, Any]], str | None]


def _fixed(actor: str | None) -> ActorOf:
    return lambda ctx: actor


def _token_owner(ctx: Context[Any, Any, Any]) -> str | None:
    """The staff id the HTTP request's bearer token authenticated (BearerTokens put it on the request)."""
    request = ctx.request_context.request
    user = getattr(request, "user", None)
    return getattr(user, "username", None)


def _served(tool: BaseTool, actor_of: ActorOf) -> Tool:
    """`tool` as an MCP tool called with the request's actor."""

    async def call(ctx: Context[Any, Any, Any], **arguments: Any) -> Any:
        return await tool.ainvoke(arguments, config={"configurable": {ACTOR_KEY: actor_of(ctx)}})

    return to_fastmcp(tool).model_copy(update={"fn": call, "context_kwarg": "ctx"})


def build_server(skill: EscalationSkill, *, actor: str | None = None, over_http: bool = False) -> FastMCP:
    """The MCP server of `skill`'s tools.

    Args:
        skill: The escalation skill (its store, mailer and policy).
        actor: Over stdio, the staff id the tools act as (None: the account's CSM).
        over_http: Serve streamable HTTP: every request acts as its bearer token's staff member.
    """
    actor_of = _token_owner if over_http else _fixed(actor)
    return FastMCP(
        SERVER_NAME,
        instructions=render("mcp/instructions.j2").strip(),
        tools=[_served(tool, actor_of) for tool in skill.hostless_tools],
        stateless_http=True,  # each request is its own session: the tools keep no state between calls
        log_level="WARNING",
    )


def http_app(server: FastMCP, store: Store) -> Starlette:
    """The streamable HTTP app (`/mcp`), every request authenticated by an escalation bearer token."""
    app = server.streamable_http_app()
    app.add_middleware(AuthenticationMiddleware, backend=BearerTokens(store), on_error=on_auth_error)
    return app
