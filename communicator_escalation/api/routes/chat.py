"""The Chat UI over HTTP: one turn of the Communicator agent per request, acting as the token's owner.

Threads are private to the caller (`staff_thread`, api/agent_dep.py) and resumable by the same id.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from ...agent.host import ReviewDecision, Turn
from ...agent.turns import MAX_CHAT_CHARS, ChatText
from ...safe_text import MultiLine
from ..agent_dep import AgentDep, staff_thread
from ..auth import CurrentStaff
from ..errors import ERROR_RESPONSES
from ..strict import CleanJson, Identifier, StrictBody

router = APIRouter(prefix="/api", tags=["chat"])


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


@router.post(
    "/chat",
    response_model=Turn,
    responses=ERROR_RESPONSES,
    summary="One chat turn with the Communicator agent",
)
def chat(turn: ChatRequest, agent: AgentDep, actor: CurrentStaff) -> Turn:
    """Run one turn as the caller; the transcript of the turn and any send waiting for review come back."""
    thread_id = turn.thread_id or uuid.uuid4().hex
    result = agent.run_turn(staff_thread(actor.id, thread_id), message=turn.message, decision=turn.decision,
                            actor=actor.id)
    return result.model_copy(update={"thread_id": thread_id})
