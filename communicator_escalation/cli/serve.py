"""CLI commands that serve the skill: `escalation serve` (the HTTP API) and `escalation mcp` (the tools over MCP)."""

from __future__ import annotations

from enum import StrEnum

import typer

from ..config import Settings
from ..errors import InvalidRequest
from ..store import Store
from ._app import app, fail, guarded


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0 picks a free one)."),
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn  # the web stack loads only for this command

    from ..api.app import create_app
    from ..api.limits import check_pool_fits

    settings = Settings()
    with guarded():
        store = Store.from_settings(settings)
        try:
            check_pool_fits(store)
        except BaseException:
            store.close()
            raise
    try:
        uvicorn.run(create_app(store, settings), host=host, port=port)
    finally:
        store.close()


class Transport(StrEnum):
    """How the MCP server talks to its clients."""

    STDIO = "stdio"
    HTTP = "http"


@app.command("mcp")
def mcp(
    transport: Transport = typer.Option(
        Transport.STDIO, "--transport", help="stdio (the client starts this command), or http (streamable HTTP at /mcp)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (http)."),
    port: int = typer.Option(8001, "--port", min=0, max=65535, help="TCP port (http)."),
    actor: str | None = typer.Option(
        None, "--as", help="Staff id the tools act as over stdio (default: the account's CSM); over http the token says."
    ),
) -> None:
    """Serve the escalation tools over MCP. The send tool only requests approval; a person sends after review."""
    if transport is Transport.HTTP and actor is not None:
        fail(InvalidRequest("--as is for stdio; over http each request acts as its bearer token's staff member"),
             as_json=False)
    import uvicorn  # the MCP and web stacks load only for this command

    from ..agent.runtime import open_runtime
    from ..agent.skill import EscalationSkill
    from ..mcp_server.server import build_server, http_app

    with guarded(), open_runtime(actor=actor) as runtime:
        server = build_server(EscalationSkill.from_runtime(runtime), actor=actor, over_http=transport is Transport.HTTP)
        if transport is Transport.STDIO:
            server.run("stdio")
        else:
            uvicorn.run(http_app(server, runtime.store), host=host, port=port, log_level="warning")
