"""Request dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..store import Store

__all__ = ["StoreDep", "get_store"]


async def get_store(request: Request) -> Store:
    """The store the app opened (or was given) at start-up (read on the event loop: no worker thread)."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
