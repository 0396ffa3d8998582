"""Request limits at the API's door: body size (413) and admission under overload (503 + Retry-After).

Both are plain ASGI middleware, so any ASGI app can have them (the MCP server's HTTP app has `BodyLimit`):

- `BodyLimit`: a body declared larger than `max_body_bytes` (Content-Length) is refused before a byte
  of it is read; a body without a declared length is counted as it streams in and refused with 413 as
  soon as it passes the limit. The app is given the body only once it is known to fit, so no app's own
  error handling decides what an oversized body becomes.
- `RequestLimits`: the body limit, and at most `slots` requests are served at once (the server's worker threads, no more than the database
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigurationError
from ..store import Store
from .errors import Overloaded, RequestTooLarge, error_response, retry_after_seconds

__all__ = ["BodyLimit", "RequestLimits", "check_pool_fits", "fit_workers", "replay", "worker_slots"]


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """ASGI middleware refusing a request body over `max_body_bytes` with 413 and the error body."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        too_large = RequestTooLarge(f"the request body is larger than {self.max_body_bytes} bytes")
        if declared is not None and declared > self.max_body_bytes:
            await error_response(too_large)(scope, receive, send)
            return
        body: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app sees it
                await self.app(scope, replay([message], receive), send)
                return
            body.append(message.get("body", b""))
            received += len(body[-1])
            if received > self.max_body_bytes:
                await error_response(too_large)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(body), "more_body": False}
        await self.app(scope, replay([whole], receive), send)


def replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives `messages`, then what `receive` gives."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class RequestLimits:
    """ASGI middleware refusing oversized bodies (413, `BodyLimit`) and requests beyond the served slots (503)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._slots: anyio.Semaphore | None = None
        self._limited = BodyLimit(self._admitted, max_body_bytes=max_body_bytes)  # a body is read before a slot is taken

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._limited(scope, receive, send)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request in a free slot, or answer 503 when none frees up in time."""
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
            retry_after = {"Retry-After": str(retry_after_seconds(self.wait_seconds))}
            await error_response(overloaded, headers=retry_after)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()


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
