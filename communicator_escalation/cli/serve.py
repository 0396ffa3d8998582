"""CLI commands that serve the skill: `escalation serve` (the web UI and the HTTP API), `escalation web-login`
and `escalation mcp` (the tools over MCP)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from typing import Annotated

import typer

from ..auth.web_sessions import issue_sign_in_link, sign_in_url
from ..config import Settings
from ..errors import ConfigurationError, InvalidRequest
from ..rendering import phrases
from ..store import Store
from ._app import app, call, fail, guarded

DEMO_SIGN_IN = ("u-jordan",)
"""Who `serve --demo` prints a sign-in link for unless --sign-in names others: the demo world's CSM."""


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket (bound before start-up so that --port 0 can print the port it got).

    Raises:
        ConfigurationError: The address is taken or cannot be bound.
    """
    try:
        return socket.create_server((host, port))
    except OSError as err:
        raise ConfigurationError("system.cannot_listen", host=host, port=port, detail=err.strerror or str(err)) from err


@contextmanager
def _served_store(settings: Settings, *, demo: bool) -> Iterator[tuple[Settings, Store]]:
    """The store to serve: the configured one, or with --demo a throw-away home with the demo world."""
    from ..api.limits import check_pool_fits

    with ExitStack() as stack:
        if demo:
            from ..store.world.loader import load_world
            from .chat.commands import DEMO_WORLD, throwaway_home

            settings = stack.enter_context(throwaway_home())
        store = stack.enter_context(Store.from_settings(settings))
        check_pool_fits(store)
        if demo:
            load_world(store, DEMO_WORLD)
        yield settings, store


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0 picks a free one).")] = 8000,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Serve the demo world from a throw-away home (removed on exit).")] = False,
    sign_in: Annotated[list[str], typer.Option(
        "--sign-in",
        help="Print a one-time web sign-in link for this staff id (repeatable; --demo: u-jordan).")] = [],  # noqa: B006
) -> None:
    """Serve the web UI at / and the HTTP API under /api (OpenAPI docs at /docs)."""
    import uvicorn  # the web stack loads only for this command

    from ..api.app import create_app

    with guarded():
        listener = _listen(host, port)
    base_url = f"http://{_display_host(host)}:{listener.getsockname()[1]}"
    with guarded(), listener, _served_store(Settings(), demo=demo) as (settings, store):
        for staff_id in sign_in or (DEMO_SIGN_IN if demo else ()):
            link = issue_sign_in_link(store, staff_id=staff_id, minutes=settings.web_link_minutes)
            typer.echo(phrases("cli/messages.j2").sign_in_as(staff_id, sign_in_url(base_url, link.code)))
        typer.echo(phrases("cli/messages.j2").web_ui_at(base_url), err=True)
        server = uvicorn.Server(uvicorn.Config(create_app(store, settings), log_level="info"))
        server.run(sockets=[listener])


@app.command("web-login")
def web_login(
    staff: Annotated[str, typer.Option("--staff", help="Staff id to sign in as.")],
    url: Annotated[str | None, typer.Option(
        "--url", help="Address of `escalation serve` (default: ESCALATION_WEB_BASE_URL).")] = None,
) -> None:
    """Print a one-time link that signs STAFF in to the web UI; it works once, within ESCALATION_WEB_LINK_MINUTES."""
    settings = Settings()
    link = call(lambda store: issue_sign_in_link(store, staff_id=staff, minutes=settings.web_link_minutes))
    typer.echo(phrases("cli/messages.j2").sign_in_link_for(link))
    typer.echo(sign_in_url(url or settings.web_base_url, link.code))


class Transport(StrEnum):
    """How the MCP server talks to its clients."""

    STDIO = "stdio"
    HTTP = "http"


@app.command("mcp")
def mcp(
    transport: Annotated[Transport, typer.Option(
        "--transport",
        help="stdio (the client starts this command), or http (streamable HTTP at /mcp).")] = Transport.STDIO,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (http).")] = 8001,
    actor: Annotated[str | None, typer.Option(
        "--as",
        help="Staff id the tools act as over stdio (default: the account's CSM); over http the token says.")] = None,
) -> None:
    """Serve the escalation tools over MCP. The send tool only requests approval; a person sends after review."""
    if transport is Transport.HTTP and actor is not None:
        fail(InvalidRequest("requests.as_over_http"), as_json=False)
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
