"""The PRD's Chat UI flow on the offline model: draft for DataFlow, Send Urgently, approve the review.

The agent conversations run in each of the agent's modes (invoke, ainvoke, astream; see conftest.py).

Expected facts are read from the world file and the database, never typed in."""

from __future__ import annotations

import json
from datetime import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.cli import app
from communicator_escalation.duration_words import duration_text
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy
from tests.support.turn_modes import TurnDriver


def _world(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _by_id(records: list[dict[str, Any]], ident: str) -> dict[str, Any]:
    return next(r for r in records if r["id"] == ident)


@pytest.fixture
def agent(
    store: Store, demo_world_path: Path, tmp_path: Path, drive: Callable[[CommunicatorAgent], TurnDriver]
) -> TurnDriver:
    load_world(store, demo_world_path)
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy())
    return drive(CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store)))


def test_prd_conversation_sends_once_and_logs_the_response_time(
    agent: TurnDriver, store: Store, demo_world_path: Path, tmp_path: Path
) -> None:
    world = _world(demo_world_path)
    customer = next(c for c in world["customers"] if c["name"].startswith("DataFlow"))
    signal = next(
        s
        for s in world["risk_signals"]
        if s["customer_id"] == customer["id"] and s["status"] == "open" and s["signal_type"] == "ticket_escalated"
    )
    reporter = _by_id(world["contacts"], signal["reported_by_contact_id"])
    opened = datetime.fromisoformat(_by_id(world["tickets"], signal["ticket_id"])["opened_at"])
    open_hours = (datetime.fromisoformat(world["as_of"]) - opened).total_seconds() / 3600  # the loader shifts both alike

    drafted = agent.run_turn(message="Draft escalation response for DataFlow")
    calls = [c["name"] for m in drafted.messages for c in m.tool_calls]
    assert calls == ["gather_escalation_context", "draft_escalation_response"]
    assert not drafted.waiting_for_review
    reply = drafted.reply
    for fact in (
        signal["severity"].capitalize(),
        f"{reporter['title']} {reporter['name']}",
        f"${round(customer['arr'] / 1000)}K",
        f"Health Score: {customer['health_score']} (declining",
        f"{duration_text(open_hours, 'hours')} unresolved",
        "Suggested CCs:",
        "[Edit] [Add CCs] [Send Urgently]",
    ):
        assert fact in reply, fact
    draft = next(m.data for m in drafted.messages if m.role == "tool" and m.data and m.data["kind"] == "draft")
    assert draft["subject"] in reply and draft["body"].splitlines()[0] in reply
    assert draft["to"]["email"] == reporter["email"]
    assert {c["label"] for c in draft["suggested_ccs"]} >= {"Your manager", "Support Lead", "Account Executive"}

    review = agent.run_turn(drafted.thread_id, message="Send Urgently")
    assert [(r.tool, r.args) for r in review.pending_review] == [
        ("send_escalation_response", {"response_id": draft["response_id"], "urgent": True})
    ]
    card = review.pending_review[0].description
    assert f"To: {reporter['name']} <{reporter['email']}>" in card
    assert f"Subject: {draft['subject']}" in card and "CC: (none)" in card
    assert not list((tmp_path / "outbox").glob("**/*.eml"))

    sent = agent.run_turn(drafted.thread_id, decision=ReviewDecision(type="approve"))
    assert not sent.waiting_for_review
    with store.connection() as conn:
        row = conn.execute(
            "SELECT s.response_sent_at, s.response_email_id, s.detected_at, r.status, r.response_minutes"
            " FROM risk_signals s JOIN escalation_responses r ON r.risk_signal_id = s.id WHERE s.id = %s",
            (signal["id"],),
        ).fetchone()
    assert row["status"] == "sent" and row["response_email_id"]
    minutes = int((row["response_sent_at"] - row["detected_at"]).total_seconds() // 60)
    assert row["response_minutes"] == minutes
    assert "submitted for expedited approval" in sent.reply
    assert f"Response time logged: {duration_text(minutes)} from escalation." in sent.reply
    assert len(list((tmp_path / "outbox").glob("**/*.eml"))) == 1


def test_review_reject_sends_nothing_and_the_draft_stays(agent: TurnDriver, tmp_path: Path) -> None:
    thread = agent.run_turn(message="Draft escalation response for DataFlow").thread_id
    agent.run_turn(thread, message="Send Urgently")
    rejected = agent.run_turn(thread, message="no")
    assert not rejected.waiting_for_review
    assert [m.status for m in rejected.messages if m.role == "tool"] == ["error"]
    assert not list((tmp_path / "outbox").glob("**/*.eml"))
    shown = agent.run_turn(thread, message="Show the draft")
    assert [c["name"] for m in shown.messages for c in m.tool_calls] == ["show_escalation_draft"]


def test_other_text_at_review_is_a_new_instruction(agent: TurnDriver, store: Store) -> None:
    thread = agent.run_turn(message="Draft escalation response for DataFlow").thread_id
    agent.run_turn(thread, message="Send Urgently")
    turn = agent.run_turn(thread, message="Add CCs")
    assert [c["name"] for m in turn.messages for c in m.tool_calls] == ["add_escalation_ccs"]
    review = next(m.data for m in turn.messages if m.data and m.data.get("kind") == "review")
    assert len(review["cc"]) >= 3 and review["added"]
    again = agent.run_turn(thread, message="Send Urgently")
    card = again.pending_review[0].description
    assert all(cc["email"] in card for cc in review["cc"])


def test_cli_demo_prints_the_prd_transcript_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    order = [
        "Draft escalation response for DataFlow",
        "Type: Support ticket escalated",
        "Severity:",
        "Issue:",
        "Reported by:",
        "unresolved",
        "Customer ARR:",
        "Health Score:",
        "Subject:",
        "Suggested CCs:",
        "Send Urgently",
        "To:",
        "approve",
        "submitted for expedited approval",
        "sent to",
        "Response time logged:",
    ]
    at = 0
    for text in order:  # each in the transcript, after the one before
        found = out.find(text, at)
        assert found >= 0, f"{text!r} missing after position {at}:\n{out}"
        at = found + len(text)
    assert list(tmp_path.iterdir()) == []
