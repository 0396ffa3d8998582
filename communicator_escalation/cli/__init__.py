"""The `escalation` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

from . import admin, chat, context, drafting, mcp_serve, review, serve, world  # noqa: F401  (each registers its commands)
from ._app import app, check_arguments

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: arguments that are not UTF-8 are refused before any command runs."""
    check_arguments(sys.argv[1:])
    app()
