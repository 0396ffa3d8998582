"""The app's one Communicator agent, shared by the chat API and the web UI's conversations.

Threads are private to the staff member who started them: `staff_thread` namespaces a client's thread
id by the caller's staff id, so another person sending the same id reaches a different (empty)
conversation and can never read or resume someone else's review. A thread waiting for review
survives a restart of the server (PostgreSQL checkpoints) and resumes by the same id, from the API or
the web UI alike.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from ..agent.host import CommunicatorAgent
from ..agent.runtime import build_runtime
from .deps import PolicyDep, SettingsDep, StoreDep

__all__ = ["AgentDep", "shared_agent", "staff_thread"]

_build_lock = threading.Lock()


def shared_agent(request: Request, store: StoreDep, policy: PolicyDep, settings: SettingsDep) -> CommunicatorAgent:
    """The app's Communicator agent (every registered skill), built on first use."""
    with _build_lock:
        agent: CommunicatorAgent | None = getattr(request.app.state, "agent", None)
        if agent is None:
            runtime = build_runtime(settings, store=store, policy=policy)
            agent = CommunicatorAgent.from_runtime(runtime)
            request.app.state.agent = agent
    return agent


AgentDep = Annotated[CommunicatorAgent, Depends(shared_agent)]


def staff_thread(staff_id: str, thread_id: str) -> str:
    """The agent's thread id of `thread_id` for `staff_id`: private to that staff member."""
    return f"api:{staff_id}:{thread_id}"
