"""The `escalation` command line. Each command group lives in its own module."""

from __future__ import annotations

from . import admin, chat, context, drafting, followthrough, inbox, mcp_serve, review, serve, world  # noqa: F401  (each registers its commands)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
