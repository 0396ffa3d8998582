"""Graph factory of the LangGraph server: the Communicator agent acting as the authenticated staff member."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from langgraph.graph.state import CompiledStateGraph
from langgraph_sdk.runtime import ServerRuntime

from ..agent.host import CommunicatorAgent
from ..agent.runtime import AgentRuntime
from .shared import shared_runtime

__all__ = ["make_graph"]


def _build(runtime: AgentRuntime, actor: str) -> CompiledStateGraph:  # type: ignore[type-arg]
    acting = replace(runtime, actor=actor, actor_fixed=True)
    return CommunicatorAgent(model=acting.model, checkpointer=None, runtime=acting, actor=actor).graph


async def make_graph(runtime: ServerRuntime) -> CompiledStateGraph:  # type: ignore[type-arg]
    """Graph `communicator` for one request: every registered skill, acting as the token's staff member.

    The actor is the authenticated user (LangGraph custom auth, `auth.py`); an `actor_id` a client
    puts in the run's config is ignored. The server supplies the checkpointer.

    Raises:
        PermissionError: The server has no custom auth configured (no user to act as).
    """
    actor = runtime.ensure_user().identity
    opened = await shared_runtime()
    return await asyncio.to_thread(_build, opened, actor)  # reads the prompt templates
