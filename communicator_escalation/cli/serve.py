"""CLI command: `escalation serve` (the HTTP API under uvicorn)."""

from __future__ import annotations

import typer

from ..config import Settings
from ..store import Store
from ._app import app, guarded


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
