"""The CSM's web UI, served by `escalation serve` at `/` beside the JSON API.

Server-rendered pages (templates in `prompts/web/`, autoescaped) over the same workflow entries as
the other doors, a little plain JavaScript from `static/` (no build step, nothing from another
origin), signed-cookie sessions with CSRF tokens, and a strict Content-Security-Policy.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from . import routes
from .errors import install_page_errors
from .security import SecurityHeaders

__all__ = ["API_PATHS", "install_web"]

API_PATHS = ("/api/", "/docs", "/redoc", "/openapi.json")
"""Paths of the JSON API and its documentation: they keep the API's JSON errors and headers."""


def _routers() -> list[APIRouter]:
    found = []
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        router = getattr(importlib.import_module(f"{routes.__name__}.{info.name}"), "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def install_web(app: FastAPI) -> None:
    """Add the web UI's pages, static files, page error handling and headers to the API's app."""
    for router in _routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    install_page_errors(app, api_paths=API_PATHS)
    app.add_middleware(SecurityHeaders, api_paths=API_PATHS)
