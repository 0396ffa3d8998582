"""CLI command: `escalation mcp` (the escalation tools over the Model Context Protocol)."""

from __future__ import annotations

from enum import StrEnum

import typer

from ..errors import InvalidRequest
from ._app import app, fail, guarded


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
        fail(InvalidRequest("requests.as_over_http"),
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
            app = http_app(server, runtime.store, max_body_bytes=runtime.settings.max_request_bytes)
            uvicorn.run(app, host=host, port=port, log_level="warning")
