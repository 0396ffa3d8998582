"""The FastAPI application: `create_app()` wires the store, the error handlers, every router and the web UI."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..store import Store
from ..web import install_web
from . import routes
from .errors import install_error_handlers
from .limits import RequestLimits, fit_workers, worker_slots

__all__ = ["create_app", "discover_routers"]


def discover_routers() -> list[APIRouter]:
    """The `router` of every module in `api/routes/`, in module-name order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the API.

    Args:
        store: An open store to serve from (the caller closes it). Without one, the app opens the
            configured database at start-up and closes it at shutdown.
        settings: Configuration; read from the environment when not given.
    """
    config = settings or Settings()
    slots = worker_slots(config.worker_threads, pool_size=store.pool.max_size if store is not None else config.pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else await run_in_threadpool(Store.from_settings, config)
        app.state.store = opened
        try:
            await fit_workers(opened, slots=slots)
            yield
        finally:
            if store is None:
                opened.close()

    app = FastAPI(
        title="Escalation response API",
        summary="Context, drafting, review and sending of escalation responses.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = config
    install_error_handlers(app)
    app.add_middleware(RequestLimits, max_body_bytes=config.max_request_bytes, slots=slots,
                       wait_seconds=config.pool_timeout_seconds)
    for router in discover_routers():
        app.include_router(router)
    install_web(app)
    return app
