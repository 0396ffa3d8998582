"""Triage on the second vendor's world: scopes, reach, severity and limit, order, SLA clock, answered escalations
and the update clock of a sent thread."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.config import Settings
from communicator_escalation.errors import NotFound
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.triage import Scope, open_escalations
from tests.support.phrasing_world import ACTOR, AS_OF, phrasing_world

NOW = AS_OF  # the world is loaded as written (no time shift) and the clocks are read at its as_of


def _world(**answered: float) -> dict[str, Any]:
    """The world with the given signals answered that many minutes after detection, and without as_of."""
    world = copy.deepcopy(phrasing_world())
    world.pop("as_of")
    for signal in world["risk_signals"]:
        if signal["id"] in answered:
            sent = datetime.fromisoformat(signal["detected_at"]) + timedelta(minutes=answered[signal["id"]])
            signal["response_sent_at"] = sent.isoformat()
    return world


def _open(world: dict[str, Any], customers: set[str] | None = None) -> set[str]:
    return {s["id"] for s in world["risk_signals"] if s["status"] == "open" and (customers is None or s["customer_id"] in customers)}


@pytest.fixture
def world(store: Store) -> dict[str, Any]:
    data = _world(**{"NS-2": 30})
    load_world(store, data)
    return data


def test_all_reachable_most_urgent_first_with_the_sla_clock(store: Store, world: dict[str, Any]) -> None:
    inbox = open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), now=NOW)
    mine = {c["id"] for c in world["customers"] if c["csm_id"] == ACTOR}
    assert {e.signal_id for e in inbox.escalations} == _open(world, mine) and inbox.total == len(_open(world, mine))
    unanswered = [e for e in inbox.escalations if not e.answered]
    assert [e.answered for e in inbox.escalations] == [False] * len(unanswered) + [True]
    breached = [e for e in unanswered if e.minutes_to_first_response_due < 0]
    assert unanswered[: len(breached)] == breached  # breached first
    later = unanswered[len(breached) :]
    assert [e.first_response_due for e in later] == sorted(e.first_response_due for e in later)
    for item in inbox.escalations:
        signal = next(s for s in world["risk_signals"] if s["id"] == item.signal_id)
        assert item.detected_at == datetime.fromisoformat(signal["detected_at"])
        assert item.minutes_to_first_response_due == int((item.first_response_due - NOW).total_seconds() // 60)
        assert (item.minutes_to_first_response_due < 0) == (item.urgency == "breached")


def test_an_answered_escalation_carries_its_threads_update_clock(store: Store, world: dict[str, Any],
                                                                  tmp_path: Path) -> None:
    (answered,) = [e for e in open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), now=NOW).escalations if e.answered]
    assert answered.signal_id == "NS-2" and answered.response_sent_at is not None
    assert answered.next_update_due is None  # answered before the product kept records: no update clock runs
    signal = next(e for e in open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), now=NOW).escalations
                  if not e.answered and e.severity == "high")
    sent_at = NOW + timedelta(minutes=10)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id=signal.signal_id, policy=Policy(), now=sent_at, new=True).draft
    outcome = send_response(store, response_id=draft.response_id or "", mailer=OutboxMailer(tmp_path / "outbox"),
                            urgent=True, settings=Settings(home=tmp_path), now=sent_at)
    assert outcome.outcome == "sent"
    with store.connection() as conn:
        clock = conn.execute("SELECT next_update_due FROM escalation_responses WHERE id = %s",
                             (draft.response_id,)).fetchone()["next_update_due"]
    later = sent_at + timedelta(minutes=5)
    updates = open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), updates=True, now=later)
    [item] = updates.escalations
    assert (item.signal_id, item.answered, item.next_update_due) == (signal.signal_id, True, clock)
    assert clock > sent_at and item.minutes_to_next_update == int((clock - later).total_seconds() // 60)
    assert updates.updates and updates.total == 1


def test_another_csms_customer_is_never_listed_but_an_executive_sees_it(store: Store, world: dict[str, Any]) -> None:
    hidden = {s["id"] for s in world["risk_signals"] if s["customer_id"] == "k-acme"}
    assert not hidden & {e.signal_id for e in open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), now=NOW).escalations}
    executive = next(s["id"] for s in world["staff"] if s["role"] == "executive")
    assert hidden <= {e.signal_id for e in open_escalations(store, policy=Policy(), actor=Actor.of(executive), now=NOW).escalations}


def test_scopes_severity_and_limit(store: Store, world: dict[str, Any]) -> None:
    manager = next(s for s in world["staff"] if s["role"] == "csm_manager")
    team = open_escalations(store, policy=Policy(), actor=Actor.of(manager["id"]), scope="team", now=NOW)
    assert {e.signal_id for e in team.escalations} == _open(world)  # both CSMs report to the manager
    ae = next(s for s in world["staff"] if s["role"] == "account_executive")  # on every account but Acme's
    mine = open_escalations(store, policy=Policy(), actor=Actor.of(ae["id"]), scope="mine", now=NOW)
    teamed = {c["id"] for c in world["customers"] if c.get("account_executive_id") == ae["id"]}
    assert {e.signal_id for e in mine.escalations} == _open(world, teamed)
    other_csm = next(s["id"] for s in world["staff"] if s["role"] == "csm" and s["id"] != ACTOR)
    theirs = {c["id"] for c in world["customers"] if c["csm_id"] == other_csm}
    assert {e.signal_id for e in open_escalations(store, policy=Policy(), actor=Actor.of(other_csm), scope="mine", now=NOW).escalations} \
        == _open(world, theirs)
    critical = open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), severities=["critical"], now=NOW)
    assert {e.severity for e in critical.escalations} == {"critical"}
    top = open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), limit=2, now=NOW)
    assert len(top.escalations) == 2 and top.total > 2
    assert top.escalations == open_escalations(store, policy=Policy(), actor=Actor.of(ACTOR), now=NOW).escalations[:2]


def test_an_unknown_actor_is_refused(store: Store, world: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        open_escalations(store, policy=Policy(), actor=Actor.of("nobody"), now=datetime.now(UTC))


@pytest.mark.parametrize("scope", ["mine", "team", "all"])
def test_the_account_csm_sees_every_account_in_every_scope(store: Store, world: dict[str, Any], scope: Scope) -> None:
    inbox = open_escalations(store, policy=Policy(), actor=ACCOUNT_CSM, scope=scope, now=NOW)
    assert {e.signal_id for e in inbox.escalations} == _open(world)
