"""Migration 0061: drafts stored with `type` read back with `escalation_type`, as every view of a signal names it."""

from __future__ import annotations

from typing import Any

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.store import Store
from communicator_escalation.store.migrate import migration_files
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.drafting.responses import load_draft
from communicator_escalation.workflow.policy import Policy

_OLD_SHAPE = """
UPDATE escalation_responses SET draft = jsonb_set(
    jsonb_set(draft #- '{escalation,escalation_type}', '{escalation,type}', draft -> 'escalation' -> 'escalation_type'),
    '{other_open_escalations}',
    (SELECT jsonb_agg((e - 'escalation_type') || jsonb_build_object('type', e -> 'escalation_type') ORDER BY n)
       FROM jsonb_array_elements(draft -> 'other_open_escalations') WITH ORDINALITY AS x(e, n)))
 WHERE id = %s
"""


def test_a_draft_stored_before_0061_reads_back_with_the_signal_vocabulary(store: Store, demo_world: dict[str, Any]) -> None:
    customer = next(c for c in demo_world["customers"]
                    if sum(s["customer_id"] == c["id"] and s["status"] == "open" and s["signal_type"] != "health_score_drop"
                           for s in demo_world["risk_signals"]) > 1)  # a customer with another open escalation
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer=customer["name"], policy=Policy(), new=True).draft
    assert draft.other_open_escalations, "the chosen customer has another open escalation"
    (sql,) = [text for _, name, text in migration_files() if name.startswith("0061_")]
    with store.connection() as conn:
        conn.execute(_OLD_SHAPE, (draft.response_id,))
        old = conn.execute("SELECT draft FROM escalation_responses WHERE id = %s", (draft.response_id,)).fetchone()["draft"]
        assert "type" in old["escalation"] and all("type" in o for o in old["other_open_escalations"])
        conn.execute(sql)
        conn.execute(sql)  # a second run finds nothing left to rename
    again = load_draft(store, response_id=draft.response_id, actor=ACCOUNT_CSM, policy=Policy().email)
    assert again.escalation == draft.escalation
    assert again.other_open_escalations == draft.other_open_escalations
    assert [o.escalation_type for o in again.other_open_escalations] == [
        next(s.get("escalation_type") for s in demo_world["risk_signals"] if s["id"] == o.risk_signal_id)
        for o in again.other_open_escalations]
