"""The `escalation` command line. Each command group lives in its own module."""

from __future__ import annotations

# Each module registers its commands; `escalation --help` lists them in this order.
from . import admin, context, drafting, review, followthrough, inbox, serve, world  # noqa: F401
from .chat import commands  # noqa: F401  (registers chat and demo)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
