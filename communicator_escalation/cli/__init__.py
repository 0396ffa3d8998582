"""The `escalation` command line. Each command group lives in its own module."""

from __future__ import annotations

from . import admin, context, drafting, followthrough, inbox, review, serve, world  # noqa: F401  (each registers its commands)
from .chat import commands  # noqa: F401  (registers chat and demo)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
