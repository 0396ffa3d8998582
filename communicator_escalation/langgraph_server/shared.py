"""The server process's runtime: the store, mailer, policy and models, opened once on first use."""

from __future__ import annotations

import asyncio

from ..agent.runtime import AgentRuntime, build_runtime
from ..config import Settings
from ..store import Store
from ..workflow.policy import load_policy

__all__ = ["shared_runtime"]


class _Opened:
    """The process's runtime once opened (the store stays open for the life of the server process)."""

    runtime: AgentRuntime | None = None
    lock: asyncio.Lock | None = None


def _open() -> AgentRuntime:
    settings = Settings()
    store = Store.from_settings(settings)
    return build_runtime(settings, store=store, policy=load_policy(settings.policy_file))


async def shared_runtime() -> AgentRuntime:
    """The runtime of the configured settings (environment), opened in a worker thread on first use."""
    if _Opened.runtime is None:
        _Opened.lock = _Opened.lock or asyncio.Lock()
        async with _Opened.lock:
            if _Opened.runtime is None:
                _Opened.runtime = await asyncio.to_thread(_open)
    return _Opened.runtime
