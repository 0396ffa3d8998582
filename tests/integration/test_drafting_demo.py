"""Drafting (`open_or_create_draft`) on real PostgreSQL: the demo world's three escalations and a world built here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.duration_words import duration_text
from communicator_escalation.errors import NoOpenEscalation, Refused
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.drafting.voices import split_voices
from communicator_escalation.workflow.delivery.approval import submit_for_approval
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.drafting.responses import cancel_response, load_draft
from communicator_escalation.workflow.policy import Policy

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
_PROMISE = re.compile(r"\b(refund\w*|credit(?:s|ed)?|reimburs\w*|compensat\w*)\b", re.IGNORECASE)


@pytest.fixture
def demo(store: Store, demo_world_path: Path) -> Store:
    load_world(store, demo_world_path, now=NOW)
    return store


def _rows(store: Store, sql: str, *params: Any) -> list[dict[str, Any]]:
    with store.connection() as conn:
        return conn.execute(sql, params).fetchall()


def test_dataflow_draft_matches_the_prd(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), now=NOW, new=True).draft
    email, body = draft.email, draft.email.body

    assert email.to == ["michael.torres@dataflow.com"] and email.cc == []
    assert email.subject == "RE: DataFlow Integration Issues"
    assert email.in_reply_to == "<CAF+mt.4821.1@mail.dataflow.com>" and email.thread_id == "thr-dataflow-4821"
    assert body.startswith("Dear Michael,\n\nThank you for bringing this directly to my attention.")
    assert "over the past three days" in body
    assert "Dedicated support engineer assigned: Sarah Chen (direct line: +1 415 555 0199)" in body
    # The workaround is stated as identified; its steps (an internal ticket note) go to the CSM as a review note.
    # The fix date is the one staff scheduled.
    assert "We identified an interim workaround" in body and "Interim workaround identified" in body
    [note] = [r["note"] for r in _rows(demo, "SELECT note FROM ticket_events WHERE kind = 'workaround_identified' AND ticket_id = %s", "T-4821")]
    assert note.split(": ")[-1] not in body
    assert [n.kind for n in draft.review_notes if n.code == "workaround_steps" and note in n.text] == ["advisory"]
    assert "I need a plan from you today." in body and "So here is my answer today" in body
    assert [m.due_text.startswith("[confirm") for m in draft.timeline if m.milestone == "Permanent fix"] == [False]
    for step in draft.timeline:
        assert f"• {step.milestone}: {step.due_text}" in body
    assert "update every 4 hours" in body
    assert body.endswith("Jordan Patel\nCustomer Success Manager, Cobalt Metrics\n+1 415 555 0142\n"
                         "jordan.patel@cobaltmetrics.com")
    assert "[CSM Name]" not in body and "xxx" not in body
    assert [c.label for c in draft.suggested_ccs] == ["Your manager", "Support Lead", "Account Executive"]
    assert draft.strategy.sla.minutes_to_first_response_due == 37
    assert f"SLA: first response due in {duration_text(37)}." in [_n.text for _n in draft.review_notes]
    assert draft.escalation.reported_by is not None and draft.escalation.reported_by.title == "CTO"


def test_the_draft_is_saved_as_drafted_with_its_json_and_audited(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), now=NOW, new=True).draft
    (row,) = _rows(demo, "SELECT * FROM escalation_responses")
    assert row["id"] == draft.response_id and row["status"] == "drafted"
    assert row["risk_signal_id"] == "rs-1001" and row["customer_id"] == "c-dataflow" and row["sender_id"] == "u-jordan"
    assert row["to_addrs"] == draft.email.to and row["cc_addrs"] == []
    assert (row["subject"], row["body"]) == (draft.email.subject, draft.email.body)
    assert (row["in_reply_to"], row["thread_id"]) == (draft.email.in_reply_to, draft.email.thread_id)
    assert row["draft"] == draft.to_json()
    assert row["created_by"] == "u-jordan" and row["created_at"] == NOW
    (audit,) = _rows(demo, "SELECT * FROM audit_log WHERE entity_id = %s", draft.response_id)
    assert (audit["actor"], audit["entity"], audit["action"]) == ("u-jordan", "escalation_response", "drafted")
    assert load_draft(demo, actor=ACCOUNT_CSM, response_id=draft.response_id, policy=Policy().email) == draft


def test_northwind_names_both_invoices_and_promises_no_refund(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="northwind", policy=Policy(), now=NOW, new=True).draft
    body = draft.email.body
    assert draft.strategy.template == "billing"
    assert "INV-2291" in body and "INV-2304" in body and "$24,000" in body
    assert not _PROMISE.search(body)
    assert draft.email.subject == "RE: Duplicate invoice INV-2291 / INV-2304"
    assert draft.email.to == ["anita.shah@northwindhealth.org"]


def test_brightpath_answers_the_critical_service_escalation_and_lists_the_other(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="Brightpath", policy=Policy(), now=NOW, new=True).draft
    body = draft.email.body
    assert (draft.escalation.risk_signal_id, draft.escalation.severity, draft.strategy.template) == \
        ("rs-1003", "critical", "service")
    assert [o.risk_signal_id for o in draft.other_open_escalations] == ["rs-1004"]
    assert any(n.startswith("Also open, not answered by this draft: rs-1004 (low") for n in [_n.text for _n in draft.review_notes])
    assert "That is our failure" in body
    assert "Recovery plan: West region onboarding recovery, owned by Kate Morgan (me)" in body
    assert "David Okafor" in body  # executive sponsor, critical
    assert draft.strategy.sla.urgency == "breached"
    [detected] = [r["detected_at"] for r in _rows(demo, "SELECT detected_at FROM risk_signals WHERE id = %s", "rs-1003")]
    due = detected + Policy().sla.row("critical").first_response.wall()
    assert draft.strategy.sla.minutes_to_first_response_due == -round((NOW - due).total_seconds() / 60)
    late = duration_text((NOW - due).total_seconds() / 60)
    assert any(n.startswith(f"SLA: the first response is {late} late") for n in [_n.text for _n in draft.review_notes])
    assert draft.email.subject == "Following up on our Executive check-in: West region onboarding slipped twice"
    assert "• West region onboarding slipped twice\n• Promised dedicated onboarding manager not assigned" in body
    assert "  - Assign named onboarding manager (owner: me, by [confirm: date])" in body
    assert draft.email.in_reply_to is None and draft.email.thread_id is None


def test_the_other_escalation_can_be_drafted_by_signal_id(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, signal_id="rs-1004", policy=Policy(), now=NOW, new=True).draft
    assert draft.escalation.risk_signal_id == "rs-1004"
    assert draft.email.to == ["lucia.gomez@brightpath.com"]
    assert [o.risk_signal_id for o in draft.other_open_escalations] == ["rs-1003"]


def test_no_open_escalation_is_an_error_and_writes_nothing(demo: Store) -> None:
    with pytest.raises(NoOpenEscalation):
        open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="Quillon", policy=Policy(), now=NOW, new=True).draft
    assert _rows(demo, "SELECT id FROM escalation_responses") == []


def test_cancel_withdraws_a_draft_once(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), now=NOW, new=True).draft
    cancel_response(demo, actor=ACCOUNT_CSM, response_id=draft.response_id, now=NOW + timedelta(minutes=1))
    assert _rows(demo, "SELECT status FROM escalation_responses")[0]["status"] == "rejected"
    actions = [r["action"] for r in _rows(demo, "SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id",
                                          draft.response_id)]
    assert actions == ["drafted", "cancelled"]
    with pytest.raises(Refused):
        cancel_response(demo, actor=ACCOUNT_CSM, response_id=draft.response_id)


def test_cancel_voids_an_open_approval_and_audits_it(demo: Store) -> None:
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="Northwind", policy=Policy(), now=NOW, new=True).draft
    pending = submit_for_approval(demo, response_id=draft.response_id, policy=Policy().approval, now=NOW)
    assert pending.approval is not None and pending.approval.status == "pending"
    cancel_response(demo, actor=ACCOUNT_CSM, response_id=draft.response_id, now=NOW + timedelta(minutes=2))
    [approval] = _rows(demo, "SELECT id, status, reason FROM approval_requests")
    assert (approval["status"], approval["reason"]) == ("void", "response cancelled")
    audited = _rows(demo, "SELECT action, detail FROM audit_log WHERE entity = 'approval_request' AND entity_id = %s"
                          " ORDER BY id", approval["id"])
    assert audited[-1]["action"] == "void"
    assert draft.response_id in audited[-1]["detail"]["reason"]


def _at(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def _polaris_world() -> dict[str, Any]:
    """Another vendor: a critical security escalation in Tokyo, and an untyped one with nobody to reply to."""
    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Polaris Data", "email_domain": "polaris.example"},
        "staff": [
            {"id": "s-lucja", "name": "Łucja Wiśniewska", "email": "lucja@polaris.example", "role": "csm",
             "manager_id": "s-mgr", "phone": "+48 22 555 01 23", "title": "Senior Customer Success Manager"},
            {"id": "s-mgr", "name": "Tomás Herrera", "email": "tomas@polaris.example", "role": "csm_manager"},
            {"id": "s-aiko", "name": "Aiko Tanaka", "email": "aiko@polaris.example", "role": "executive",
             "title": "CEO"},
            {"id": "s-mateus", "name": "Mateus Oliveira", "email": "mateus@polaris.example",
             "role": "security_officer", "phone": "+351 21 555 0100"},
        ],
        "customers": [
            {"id": "c-sakura", "name": "Sakura Foods K.K.", "domain": "sakura.example", "arr": 200000,
             "tier": "enterprise", "health_score": 70, "timezone": "Asia/Tokyo", "csm_id": "s-lucja",
             "executive_sponsor_id": "s-aiko"},
            {"id": "c-kiwi", "name": "Kiwi Outdoor Ltd", "domain": "kiwi.example", "arr": 30000, "tier": "smb",
             "health_score": 64, "timezone": "Pacific/Auckland", "csm_id": "s-lucja"},
        ],
        "contacts": [
            {"id": "p-soren", "customer_id": "c-sakura", "name": "Søren Ødegaard", "title": "CISO",
             "email": "soren@sakura.example", "role": "executive"},
            {"id": "p-mere", "customer_id": "c-kiwi", "name": "Mere Ngata", "email": "mere@kiwi.example"},
        ],
        "tickets": [
            {"id": "KW-88", "customer_id": "c-kiwi", "subject": "Charged twice for seats on invoice 55102",
             "description": "We were billed twice for the same 12 seats (NZD 1,440).", "priority": "high",
             "status": "open", "opened_at": _at(hours=30)},
        ],
        "risk_signals": [
            {"id": "rs-s1", "customer_id": "c-sakura", "signal_type": "critical_issue", "severity": "critical",
             "source": "direct_complaint", "escalation_type": "security",
             "title": "Suspicious admin logins on production tenant",
             "description": "Admin logins from unknown IP ranges on the production tenant.",
             "detected_at": _at(minutes=20), "status": "open", "reported_by_contact_id": "p-soren"},
            {"id": "rs-k1", "customer_id": "c-kiwi", "signal_type": "ticket_escalated", "severity": "medium",
             "source": "support_ticket", "title": "Seat charges disputed", "detected_at": _at(hours=2),
             "status": "open", "ticket_id": "KW-88"},
        ],
    }


def test_a_security_escalation_in_another_world(store: Store) -> None:
    load_world(store, _polaris_world(), now=NOW)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer="Sakura", policy=Policy(), now=NOW, new=True).draft
    body = draft.email.body
    assert draft.email.to == ["soren@sakura.example"]
    assert draft.email.subject == "Sakura Foods: Suspicious admin logins on production tenant"
    assert body.startswith("Dear Søren,\n")
    assert "Your security contact: Mateus Oliveira, Security Officer, mateus@polaris.example, +351 21 555 0100" in body
    assert "including whether any of your data was affected" in body
    assert "Aiko Tanaka, CEO and your executive sponsor" in body
    assert "within the next 6 hours" in body  # a weekend in Tokyo: no business hours before the target
    assert body.endswith("Łucja Wiśniewska\nSenior Customer Success Manager, Polaris Data\n+48 22 555 01 23\n"
                         "lucja@polaris.example")
    assert "Mateus Oliveira" in [c.name for c in draft.suggested_ccs] and draft.email.cc == []


def test_nobody_to_reply_to_and_an_inferred_type_are_review_notes(store: Store) -> None:
    load_world(store, _polaris_world(), now=NOW)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer="Kiwi Outdoor", policy=Policy(), now=NOW, new=True).draft
    assert draft.email.to == []
    assert draft.email.body.startswith("Hello Kiwi Outdoor team,")
    assert draft.strategy.template == "billing"
    assert "55102" in draft.email.body and "NZD 1,440" not in split_voices(draft.email.body)[0]
    notes = " | ".join(n.text for n in draft.review_notes)
    assert "choose the contact at Kiwi Outdoor Ltd to send this to (Mere Ngata)" in notes
    assert "inferred as billing" in notes
    (row,) = _rows(store, "SELECT to_addrs, status FROM escalation_responses")
    assert row == {"to_addrs": [], "status": "drafted"}
