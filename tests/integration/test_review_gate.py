"""The review interrupt accepts only a review answer: anything else is refused and the thread still waits.

A malformed resume used to be saved and replayed, so the thread stayed broken and the send was lost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command
from pydantic import ValidationError

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.review_gate import InvalidReviewAnswer, read_review_answer
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy

SEND_DECISIONS = ["approve", "edit", "reject"]
MALFORMED: dict[str, Any] = {
    "agent_inbox_list": [{"type": "accept", "args": None}],
    "no_decisions": {"decisions": []},
    "unknown_type": {"decisions": [{"type": "accept"}]},
    "not_allowed": {"decisions": [{"type": "respond", "message": "looks fine"}]},
    "two_for_one": {"decisions": [{"type": "approve"}, {"type": "approve"}]},
    "text": "yes",
}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (MALFORMED["agent_inbox_list"], "bare list"),
        (MALFORMED["no_decisions"], "1 action request(s) but the answer has 0"),
        (MALFORMED["unknown_type"], "accept"),
        (MALFORMED["not_allowed"], "'respond' is not allowed"),
    ],
)
def test_read_review_answer_says_what_is_wrong(value: Any, says: str) -> None:
    with pytest.raises(InvalidReviewAnswer) as refused:
        read_review_answer(value, [SEND_DECISIONS])
    assert says in refused.value.message


def test_read_review_answer_takes_langchains_hitl_response() -> None:
    answer = {"decisions": [{"type": "edit", "edited_action": {"name": "send", "args": {"urgent": True}}}]}
    assert read_review_answer(answer, [SEND_DECISIONS]) == answer
    assert read_review_answer({"decisions": [{"type": "approve"}, {"type": "reject"}]}) == {
        "decisions": [{"type": "approve"}, {"type": "reject"}]
    }


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_resume_is_refused_and_the_review_still_waits(
    name: str, store: Store, demo_world_path: Path, tmp_path: Path
) -> None:
    load_world(store, demo_world_path)
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy())
    agent = CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store))

    async def conversation() -> str:
        thread = (await agent.arun_turn(message="Draft escalation response for DataFlow")).thread_id
        [card] = (await agent.arun_turn(thread, message="Send Urgently")).pending_review
        config = {"configurable": {"thread_id": thread}}
        [waiting] = (await agent.graph.aget_state(config)).interrupts
        assert waiting.response_schema is not None and "decisions" in waiting.response_schema["properties"]
        with pytest.raises(ValidationError):
            await agent.graph.ainvoke(Command(resume=MALFORMED[name]), config)
        assert await agent.apending_review(thread) == [card]
        assert list((tmp_path / "outbox").glob("**/*.eml")) == []
        return (await agent.arun_turn(thread, decision=ReviewDecision(type="approve"))).reply

    assert "Response time logged" in asyncio.run(conversation())
    assert len(list((tmp_path / "outbox").glob("**/*.eml"))) == 1
