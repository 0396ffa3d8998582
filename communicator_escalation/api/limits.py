"""Request limits at the API's door: body size (413) and admission under overload (503 + Retry-After).

`RequestLimits` is plain ASGI middleware:

- A body declared larger than `max_body_bytes` (Content-Length) is refused before a byte of it is
  read; a body without a declared length is counted as it streams in and refused with 413 as soon as
  it passes the limit, so a request is never read whole before it is judged.
- At most `slots` requests are served at once (the server's worker threads, no more than the database
  pool has connections, so a request never waits for a connection behind another request); a request
  that finds no free slot within `wait_seconds` is answered with 503 and `Retry-After`, instead of
  queueing until a client or proxy gives up.

`fit_workers` sizes the thread pool that runs the sync routes to the same number of slots and checks
that the database accepts that many connections.
"""

from __future__ import annotations

import os

import anyio
from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigurationError
from ..store import Store
from .errors import Overloaded, RequestTooLarge, error_response, retry_after_seconds

__all__ = ["RequestLimits", "check_pool_fits", "fit_workers", "worker_slots"]


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestLimits:
    """ASGI middleware refusing oversized bodies (413) and requests beyond the served slots (503)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, receive, send, RequestTooLarge(self._too_large()))
            return
        if self._slots is None:  # created on the server's event loop, at the first request
            self._slots = anyio.Semaphore(self.slots)
        slots = self._slots
        admitted = False
        with anyio.move_on_after(self.wait_seconds):
            await slots.acquire()
            admitted = True
        if not admitted:
            overloaded = Overloaded(
                f"the server is serving {self.slots} requests and none finished within {self.wait_seconds:g}s; "
                "retry shortly"
            )
            await self._refuse(scope, receive, send, overloaded,
                               headers={"Retry-After": str(retry_after_seconds(self.wait_seconds))})
            return
        try:
            await self.app(scope, self._counted(receive), send)
        finally:
            slots.release()

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes"

    def _counted(self, receive: Receive) -> Receive:
        """`receive`, refusing with 413 once the body passes the limit."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # FastAPI re-raises an HTTPException from body reading; the app's handler answers it.
                    raise HTTPException(413, detail=self._too_large())
            return message

        return counted

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, err: RequestTooLarge | Overloaded,
                      headers: dict[str, str] | None = None) -> None:
        await error_response(err, headers=headers)(scope, receive, send)


def worker_slots(configured: int | None, *, pool_size: int) -> int:
    """Requests served at once: `configured` (ESCALATION_WORKER_THREADS), else the pool size, at most the
    CPU count (at least 2).

    The routes' work is Python under one interpreter lock plus database round trips: about a thread per
    core keeps the CPU busy, and more threads only add switching (measured in `bench_api_load.py`).
    """
    if configured is not None:
        return configured
    return min(pool_size, max(2, os.cpu_count() or 2))


def check_pool_fits(store: Store) -> None:
    """Refuse a pool that may open more connections than the database server accepts.

    Raises:
        ConfigurationError: `store`'s pool is larger than max_connections less the superuser reserve.
    """
    usable = store.connection_limit()
    if store.pool.max_size > usable:
        raise ConfigurationError(
            f"ESCALATION_POOL_SIZE={store.pool.max_size} is more connections than the database accepts "
            f"({usable}: max_connections less superuser_reserved_connections); lower it or raise max_connections"
        )


async def fit_workers(store: Store, *, slots: int) -> None:
    """Serve sync routes on `slots` worker threads, and check the database takes the pool's connections.

    Raises:
        ConfigurationError: As `check_pool_fits`.
    """
    to_thread.current_default_thread_limiter().total_tokens = slots
    await to_thread.run_sync(check_pool_fits, store)
