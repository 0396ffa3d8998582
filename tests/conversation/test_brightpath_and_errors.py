"""Conversations off the happy path: two open escalations, ambiguous and unknown names, nothing open,
another CSM's customer, and a world of the test's own (Unicode names, another vendor)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision, Turn
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.models import ESCALATION_SIGNAL_TYPES, SEVERITY_RANK
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy
from tests.support.step1_worlds import NOW, nordlicht_world
from tests.support.trust_world import world as trust_world
from tests.support.turn_modes import TurnDriver


@pytest.fixture
def make_agent(
    store: Store, tmp_path: Path, drive: Callable[[CommunicatorAgent], TurnDriver]
) -> Callable[..., TurnDriver]:
    """The offline agent on the test's store, in the test's turn mode; skill options as keywords."""

    def make(**skill_options: Any) -> TurnDriver:
        skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), **skill_options)
        return drive(CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store)))

    return make


def _results(turn: Turn, kind: str) -> list[dict[str, Any]]:
    return [m.data for m in turn.messages if m.role == "tool" and m.data and m.data.get("kind") == kind]


def _response_count(store: Store) -> int:
    with store.connection() as conn:
        return int(conn.execute("SELECT count(*) AS n FROM escalation_responses").fetchone()["n"])


def test_brightpath_two_open_escalations_drafts_the_most_urgent_and_offers_the_other(
    store: Store, demo_world_path: Path, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, demo_world_path)
    world = json.loads(demo_world_path.read_text())
    customer = next(c for c in world["customers"] if c["name"].startswith("Brightpath"))
    open_escalations = sorted(
        (
            s
            for s in world["risk_signals"]
            if s["customer_id"] == customer["id"]
            and s["status"] == "open"
            and s["signal_type"] in ESCALATION_SIGNAL_TYPES
        ),
        key=lambda s: -SEVERITY_RANK[s["severity"]],
    )
    assert len(open_escalations) == 2
    first, second = open_escalations

    agent = make_agent()
    turn = agent.run_turn(message="Draft escalation response for Brightpath")
    [draft] = _results(turn, "draft")
    assert draft["signal_id"] == first["id"]
    assert [o["signal_id"] for o in draft["other_open_escalations"]] == [second["id"]]
    assert second["id"] in turn.reply

    other = agent.run_turn(turn.thread_id, message=f"Escalation response for signal {second['id']}")
    [second_draft] = _results(other, "draft")
    assert second_draft["signal_id"] == second["id"]
    assert second_draft["response_id"] != draft["response_id"]
    assert _response_count(store) == 2


def test_a_name_matching_two_customers_makes_the_agent_ask_which(
    store: Store, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, nordlicht_world())
    agent = make_agent(now=NOW)
    turn = agent.run_turn(message="Draft escalation response for Acme")
    [error] = _results(turn, "error")
    assert error["error"]["code"] == "ambiguous_customer"
    names = {c["label"] for c in error["error"]["candidates"]}
    assert {"Acme Corp", "Acme Labs"} <= names
    assert "Which customer" in turn.reply and all(name in turn.reply for name in ("Acme Corp", "Acme Labs"))
    assert _response_count(store) == 0


def test_a_customer_without_an_open_escalation_gets_a_clear_answer(
    store: Store, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, nordlicht_world())
    agent = make_agent(now=NOW)
    turn = agent.run_turn(message="Draft escalation response for Stille Wasser")
    [error] = _results(turn, "error")
    assert error["error"]["code"] == "no_open_escalation"
    assert "Stille Wasser" in turn.reply and "no open escalation" in turn.reply.lower()
    assert _response_count(store) == 0


def test_an_unknown_customer_is_named_back(
    store: Store, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, nordlicht_world())
    turn = make_agent(now=NOW).run_turn(message="Draft escalation response for Zeppelin Werke")
    [error] = _results(turn, "error")
    assert error["error"]["code"] == "customer_not_found"
    assert not turn.waiting_for_review and _response_count(store) == 0


def test_unicode_world_drafts_to_the_reporter_and_sends_after_review(
    store: Store, tmp_path: Path, make_agent: Callable[..., TurnDriver]
) -> None:
    world = nordlicht_world()
    load_world(store, world)
    agent = make_agent(now=NOW)
    turn = agent.run_turn(message="Respond to Müller escalation")
    [draft] = _results(turn, "draft")
    reporter = next(c for c in world["contacts"] if c["id"] == "c-jr")
    assert draft["to"] == {"name": reporter["name"], "email": reporter["email"]}
    assert reporter["name"].split()[0] in draft["body"]
    assert len(draft["other_open_escalations"]) == 2

    review = agent.run_turn(turn.thread_id, message="Send Urgently")
    assert f"{reporter['name']} <{reporter['email']}>" in review.pending_review[0].description
    sent = agent.run_turn(turn.thread_id, message="approve")
    [result] = _results(sent, "send")
    assert result["status"] == "sent" and result["response_minutes"] is not None
    assert len(list((tmp_path / "outbox").glob("**/*.eml"))) == 1


@pytest.mark.parametrize(
    "message", ["Draft escalation response for DataFlow", "Escalation response for signal rs-1001"]
)
def test_another_csms_customer_is_not_found_for_the_actor(
    store: Store, demo_world_path: Path, message: str, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, demo_world_path)
    world = json.loads(demo_world_path.read_text())
    dataflow = next(c for c in world["customers"] if c["name"].startswith("DataFlow"))
    outsider = next(s["id"] for s in world["staff"] if s["role"] == "csm" and s["id"] != dataflow["csm_id"])
    turn = make_agent().run_turn(message=message, actor=outsider)
    [error] = _results(turn, "error")
    assert error["error"]["code"] in {"customer_not_found", "not_found"}
    assert dataflow["name"] not in json.dumps(error)
    assert _response_count(store) == 0


def test_a_placeholder_stops_the_chat_send_and_says_what_to_fill_in(
    store: Store, tmp_path: Path, make_agent: Callable[..., TurnDriver]
) -> None:
    load_world(store, trust_world(datetime.now(UTC), detected_minutes_ago=4 * 24 * 60))  # resolution target passed
    agent = make_agent()
    drafted = agent.run_turn(message="Draft escalation response for Aurora")
    assert "Before this can be sent, fix:" in drafted.reply and "[confirm: date]" in drafted.reply
    agent.run_turn(drafted.thread_id, message="Send Urgently")
    refused = agent.run_turn(drafted.thread_id, decision=ReviewDecision(type="approve"))
    [error] = _results(refused, "error")
    assert error["error"]["code"] == "unconfirmed_placeholder"
    assert "nothing was queued for approval" in refused.reply and "Fill in [confirm: date]" in refused.reply
    assert not list((tmp_path / "outbox").glob("*.eml"))
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM approval_requests").fetchone()["n"] == 0
