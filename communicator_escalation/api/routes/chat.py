"""The Chat UI over HTTP: one turn of the Communicator agent per request, acting as the token's owner.

Threads are private to the staff member who started them: the agent's thread id is the caller's
`thread_id` namespaced by their staff id, so another token sending the same `thread_id` reaches a
different (empty) conversation and can never read or resume someone else's review. A thread waiting
for review survives a restart of the server (PostgreSQL checkpoints) and resumes by the same id.
"""

from __future__ import annotations

import threading
import uuid

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field

from ...agent.host import CommunicatorAgent, ReviewDecision, Turn
from ...agent.runtime import build_runtime
from ...agent.turns import MAX_CHAT_CHARS, ChatText
from ...safe_text import MultiLine
from ..auth import CurrentStaff, PolicyDep
from ..deps import StoreDep
from ..errors import ERROR_RESPONSES
from ..strict import CleanJson, Identifier, StrictBody

router = APIRouter(prefix="/api", tags=["chat"])

_build_lock = threading.Lock()


class StrictDecision(ReviewDecision):
    """A review decision as the API takes it: an unknown field or text with control characters is refused."""

    model_config = ConfigDict(extra="forbid")

    message: MultiLine | None = Field(
        default=None, max_length=MAX_CHAT_CHARS, description="Reason given with a rejection."
    )
    args: CleanJson | None = Field(default=None, description="Replacement arguments for an edit.")


class ChatRequest(StrictBody):
    """One chat turn: a message, or the decision on the review the thread is waiting for."""

    thread_id: Identifier | None = Field(default=None, description="Conversation to continue; omit to start one.")
    message: ChatText | None = Field(default=None, description="What the CSM types.")
    decision: StrictDecision | None = Field(default=None, description="Approve, edit or reject the pending send.")


def _agent(request: Request, store: StoreDep, policy: PolicyDep) -> CommunicatorAgent:
    """The app's Communicator agent (every registered skill), built on first use."""
    with _build_lock:
        agent: CommunicatorAgent | None = getattr(request.app.state, "agent", None)
        if agent is None:
            runtime = build_runtime(request.app.state.settings, store=store, policy=policy)
            agent = CommunicatorAgent.from_runtime(runtime)
            request.app.state.agent = agent
    return agent


@router.post(
    "/chat",
    response_model=Turn,
    responses=ERROR_RESPONSES,
    summary="One chat turn with the Communicator agent",
)
def chat(turn: ChatRequest, request: Request, store: StoreDep, policy: PolicyDep, actor: CurrentStaff) -> Turn:
    """Run one turn as the caller; the transcript of the turn and any send waiting for review come back."""
    thread_id = turn.thread_id or uuid.uuid4().hex
    result = _agent(request, store, policy).run_turn(
        f"api:{actor.id}:{thread_id}", message=turn.message, decision=turn.decision, actor=actor.id
    )
    return result.model_copy(update={"thread_id": thread_id})
