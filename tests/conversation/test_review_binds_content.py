"""An approval at the review card sends only the content the card showed.

The draft is changed behind the agent's back (workflow calls, as the API or CLI would make) between
the card and the CSM's "approve": nothing is sent, the CSM is told, and a fresh review sends once.
Expected facts are read from the world file and the database, never typed in.
"""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision, Turn
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.results import ErrorResult, parse_tool_result
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.review.edits import add_cc, edit_response, get_response
from tests.support.turn_modes import TurnDriver

Change = Callable[[Store, str], None]


def _agent(store: Store, outbox: Path) -> CommunicatorAgent:
    skill = EscalationSkill(store, OutboxMailer(outbox), Policy())
    return CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store))


Drive = Callable[[CommunicatorAgent], TurnDriver]


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def agent(store: Store, demo_world_path: Path, outbox: Path, drive: Drive) -> TurnDriver:
    load_world(store, demo_world_path)
    return drive(_agent(store, outbox))


def _sent(outbox: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email_policy.default)  # type: ignore[misc]
        for p in sorted(outbox.glob("**/*.eml"))
    ]


def _draft(turn: Turn) -> dict[str, Any]:
    return next(m.data for m in turn.messages if m.role == "tool" and m.data and m.data["kind"] == "draft")


def _state(store: Store, response_id: str) -> dict[str, Any]:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT r.status, s.response_sent_at FROM escalation_responses r"
            " JOIN risk_signals s ON s.id = r.risk_signal_id WHERE r.id = %s",
            (response_id,),
        ).fetchone()
    assert row is not None
    return row


def _new_body(store: Store, response_id: str) -> None:
    body = get_response(store, actor=ACCOUNT_CSM, response_id=response_id).body
    edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, body=body + "\n\nP.S. Changed after the review card was shown.")


def _new_subject(store: Store, response_id: str) -> None:
    subject = get_response(store, actor=ACCOUNT_CSM, response_id=response_id).subject
    edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, subject=f"{subject} (revised)")


def _new_cc(store: Store, response_id: str) -> None:
    add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="support lead")


def _dataflow(demo_world_path: Path) -> dict[str, Any]:
    world = json.loads(demo_world_path.read_text())
    return next(c for c in world["customers"] if c["name"].startswith("DataFlow"))


def test_the_card_identifies_the_content_and_an_unchanged_approval_sends_once(
    agent: TurnDriver, store: Store, outbox: Path
) -> None:
    drafted = agent.run_turn(message="Draft escalation response for DataFlow")
    response_id = _draft(drafted)["response_id"]
    review = agent.run_turn(drafted.thread_id, message="Send Urgently")
    [request] = review.pending_review
    view = get_response(store, actor=ACCOUNT_CSM, response_id=response_id)
    assert request.args == {"response_id": response_id, "urgent": True}
    assert request.pinned == {"content_hash": view.content_hash}
    first_line = next(line.strip() for line in view.body.splitlines() if line.strip())
    assert first_line in request.description
    assert f"Content fingerprint: {view.content_hash[:12]}" in request.description

    sent = agent.run_turn(drafted.thread_id, decision=ReviewDecision(type="approve"))
    assert not sent.waiting_for_review
    [message] = _sent(outbox)
    assert message["Subject"] == view.subject
    assert _state(store, response_id)["status"] == "sent"
    again = agent.run_turn(drafted.thread_id, message="Send Urgently")
    assert not again.waiting_for_review and "already sent" in again.reply  # nothing left to approve
    assert len(_sent(outbox)) == 1, again.reply


@pytest.mark.parametrize("change", [_new_body, _new_subject, _new_cc], ids=["body", "subject", "cc"])
def test_a_draft_changed_after_the_card_is_not_sent_until_reviewed_again(
    agent: TurnDriver, store: Store, outbox: Path, demo_world_path: Path, change: Change
) -> None:
    drafted = agent.run_turn(message="Draft escalation response for DataFlow")
    response_id = _draft(drafted)["response_id"]
    card = agent.run_turn(drafted.thread_id, message="Send Urgently").pending_review[0]

    change(store, response_id)
    changed = get_response(store, actor=ACCOUNT_CSM, response_id=response_id)
    assert changed.content_hash != card.pinned["content_hash"]

    refused = agent.run_turn(drafted.thread_id, decision=ReviewDecision(type="approve"))
    assert not refused.waiting_for_review
    [result] = [m.data for m in refused.messages if m.role == "tool"]
    assert result is not None and result["error"]["code"] == "content_changed"
    assert "Nothing was sent: the draft changed after the review card was shown" in refused.reply
    assert _sent(outbox) == []
    state = _state(store, response_id)
    assert state["status"] != "sent" and state["response_sent_at"] is None
    with store.connection() as conn:
        approvals = conn.execute(
            "SELECT count(*) AS n FROM approval_requests WHERE response_id = %s", (response_id,)
        ).fetchone()
    assert approvals is not None and approvals["n"] == 0

    fresh = agent.run_turn(drafted.thread_id, message="Send Urgently").pending_review[0]
    assert fresh.pinned == {"content_hash": changed.content_hash}
    sent = agent.run_turn(drafted.thread_id, decision=ReviewDecision(type="approve"))
    assert not sent.waiting_for_review
    [message] = _sent(outbox)
    assert message["Subject"] == changed.subject
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert body.strip().splitlines() == changed.body.strip().splitlines()
    cc = {a.addr_spec for a in message["Cc"].addresses} if message["Cc"] else set()
    assert cc == {r.email for r in changed.cc}
    assert _state(store, response_id)["status"] == "sent"
    assert _dataflow(demo_world_path)["name"] in card.description


def test_an_edit_decision_cannot_supply_the_pinned_hash(
    agent: TurnDriver, store: Store, outbox: Path
) -> None:
    drafted = agent.run_turn(message="Draft escalation response for DataFlow")
    response_id = _draft(drafted)["response_id"]
    agent.run_turn(drafted.thread_id, message="Send")
    _new_body(store, response_id)
    current = get_response(store, actor=ACCOUNT_CSM, response_id=response_id).content_hash

    edited = agent.run_turn(
        drafted.thread_id,
        decision=ReviewDecision(type="edit", args={"urgent": True, "content_hash": current}),
    )
    results = [parse_tool_result(m.content) for m in edited.messages if m.role == "tool"]
    assert [r.error.code for r in results if isinstance(r, ErrorResult)] == ["content_changed"]
    assert _sent(outbox) == [] and _state(store, response_id)["status"] == "drafted"


def test_the_pin_survives_a_restart(store: Store, demo_world_path: Path, outbox: Path, drive: Drive) -> None:
    load_world(store, demo_world_path)
    first = drive(_agent(store, outbox))
    drafted = first.run_turn(message="Draft escalation response for DataFlow")
    response_id = _draft(drafted)["response_id"]
    first.run_turn(drafted.thread_id, message="Send Urgently")
    _new_cc(store, response_id)

    restarted = drive(_agent(store, outbox))
    assert restarted.pending_review(drafted.thread_id)[0].pinned["content_hash"] != get_response(
        store, actor=ACCOUNT_CSM, response_id=response_id
    ).content_hash
    refused = restarted.run_turn(drafted.thread_id, message="approve")
    assert "Nothing was sent" in refused.reply
    assert _sent(outbox) == [] and _state(store, response_id)["response_sent_at"] is None
