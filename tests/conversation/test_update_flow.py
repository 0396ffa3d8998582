"""After the send, in chat on the offline model: "Draft the next update for DataFlow", review, send once.

Runs in each of the agent's modes (invoke, ainvoke, astream; see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy
from tests.support.turn_modes import TurnDriver


@pytest.fixture
def agent(
    store: Store, demo_world_path: Path, tmp_path: Path, drive: Callable[[CommunicatorAgent], TurnDriver]
) -> TurnDriver:
    load_world(store, demo_world_path)
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy())
    return drive(CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store)))


def _send(agent: TurnDriver, thread: str | None, message: str) -> str:
    turn = agent.run_turn(thread, message=message)
    agent.run_turn(turn.thread_id, message="Send Urgently")
    agent.run_turn(turn.thread_id, decision=ReviewDecision(type="approve"))
    return turn.thread_id


def test_next_update_is_drafted_on_the_thread_and_sent_once(agent: TurnDriver, store: Store, tmp_path: Path) -> None:
    thread = _send(agent, None, "Draft escalation response for DataFlow")
    with store.connection() as conn:
        first = conn.execute("SELECT * FROM escalation_responses WHERE status = 'sent'").fetchone()
        conn.execute(
            "INSERT INTO ticket_events (ticket_id, seq, at, kind, note) SELECT ticket_id, max(seq) + 1, %s,"
            " 'fix_deployed', 'Sync retries fixed' FROM ticket_events WHERE ticket_id = 'T-4821' GROUP BY ticket_id",
            (first["sent_at"] + timedelta(microseconds=1),),
        )

    drafted = agent.run_turn(thread, message="Draft the next update for DataFlow")

    assert [c["name"] for m in drafted.messages for c in m.tool_calls] == ["draft_escalation_update"]
    update = next(m.data for m in drafted.messages if m.role == "tool" and m.data and m.data["kind"] == "draft")
    assert "A fix was deployed" in update["body"] and "A fix was deployed" in drafted.reply
    assert "Sync retries fixed" not in drafted.reply  # event notes stay internal
    review = agent.run_turn(thread, message="Send Urgently")
    assert [(r.tool, r.args["response_id"]) for r in review.pending_review] == [
        ("send_escalation_response", update["response_id"])]
    agent.run_turn(thread, decision=ReviewDecision(type="approve"))

    messages = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in (tmp_path / "outbox").glob("*.eml")]
    assert len(messages) == 2
    [reply] = [m for m in messages if m["In-Reply-To"] == first["message_id"]]
    assert reply["Subject"] == first["subject"]
    again = agent.run_turn(thread, message="Send Urgently")
    if again.waiting_for_review:
        agent.run_turn(thread, decision=ReviewDecision(type="approve"))
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2  # exactly once


def test_no_update_before_anything_was_sent(agent: TurnDriver, tmp_path: Path) -> None:
    turn = agent.run_turn(message="Draft the next update for Northwind")
    assert [c["name"] for m in turn.messages for c in m.tool_calls] == ["draft_escalation_update"]
    [result] = [m.data for m in turn.messages if m.role == "tool"]
    assert result["ok"] is False and result["error"]["code"] == "refused"
    assert "waiting for an update" in turn.reply
    assert not list((tmp_path / "outbox").glob("*.eml"))
