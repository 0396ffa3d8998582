"""The world format's history: `resolved_at` on risk signals and the `responses` section of past responses."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from communicator_escalation.errors import WorldFileError
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world

AS_OF = datetime(2027, 5, 4, 10, 0, tzinfo=timezone.utc)
NOW = AS_OF + timedelta(days=3)


def history_world() -> dict[str, Any]:
    """A Japanese customer with one resolved escalation, its first response, an update and a reply."""
    return {
        "format": "escalation-world/1",
        "as_of": AS_OF.isoformat(),
        "vendor": {"name": "Kestrel Data", "email_domain": "kestrel.example"},
        "staff": [
            {"id": "k-aiko", "name": "Aiko Tanaka", "email": "aiko@kestrel.example", "role": "csm", "manager_id": "k-ren"},
            {"id": "k-ren", "name": "Ren Sato", "email": "ren@kestrel.example", "role": "csm_manager"},
        ],
        "customers": [
            {"id": "j-1", "name": "Sakura Logistics KK", "arr": 90000, "tier": "mid_market", "health_score": 70,
             "csm_id": "k-aiko", "timezone": "Asia/Tokyo"},
            {"id": "j-2", "name": "Other KK", "arr": 10000, "tier": "smb", "health_score": 90, "csm_id": "k-aiko"},
        ],
        "contacts": [
            {"id": "c-1", "customer_id": "j-1", "name": "Haruto Ito", "email": "haruto@sakura.example"},
            {"id": "c-2", "customer_id": "j-2", "name": "Yui Mori", "email": "yui@other.example"},
        ],
        "communications": [
            {"id": "r-1", "customer_id": "j-1", "channel": "email", "direction": "inbound",
             "at": (AS_OF - timedelta(days=20)).isoformat(), "body": "ありがとうございます", "contact_id": "c-1",
             "thread_id": "t-1", "in_reply_to": "<first@kestrel.example>"},
        ],
        "risk_signals": [
            {"id": "s-1", "customer_id": "j-1", "signal_type": "ticket_escalated", "severity": "high",
             "source": "support_ticket", "title": "同期エラー", "detected_at": (AS_OF - timedelta(days=21)).isoformat(),
             "status": "resolved", "resolved_at": (AS_OF - timedelta(days=19)).isoformat(), "reported_by_contact_id": "c-1"},
        ],
        "responses": [
            {"id": "p-1", "risk_signal_id": "s-1", "sent_at": (AS_OF - timedelta(days=21, minutes=-40)).isoformat(),
             "sender_id": "k-aiko", "to_contact_id": "c-1", "cc": ["k-ren"], "template": "technical", "tone": "formal",
             "expedited": True, "edit_ratio": 0.25, "message_id": "<first@kestrel.example>", "thread_id": "t-1",
             "crm_note": "kept as metadata"},
            {"id": "p-2", "risk_signal_id": "s-1", "kind": "update", "sent_at": (AS_OF - timedelta(days=20)).isoformat()},
        ],
    }


def _past(store: Store) -> dict[str, dict[str, Any]]:
    with store.connection() as conn:
        return {r["id"]: r for r in conn.execute("SELECT * FROM past_responses")}


def test_history_loads_shifted_and_reloads_unchanged(store: Store) -> None:
    report = load_world(store, history_world(), now=NOW)
    assert report.counts["responses"] == 2
    past = _past(store)
    assert past["p-1"]["sent_at"] == AS_OF - timedelta(days=21, minutes=-40) + (NOW - AS_OF)
    assert past["p-1"]["customer_id"] == "j-1" and past["p-1"]["cc_addrs"] == ["ren@kestrel.example"]
    assert past["p-1"]["metadata"] == {"crm_note": "kept as metadata"} and past["p-2"]["kind"] == "update"
    with store.connection() as conn:
        signal = conn.execute("SELECT resolved_at FROM risk_signals WHERE id = 's-1'").fetchone()
        view = conn.execute("SELECT id, origin, template FROM sent_responses ORDER BY id").fetchall()
    assert signal["resolved_at"] == AS_OF - timedelta(days=19) + (NOW - AS_OF)
    assert [(v["id"], v["origin"]) for v in view] == [("p-1", "world"), ("p-2", "world")]
    load_world(store, history_world(), now=NOW)
    assert _past(store) == past


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w["responses"][0].update(risk_signal_id="s-9"), "responses 'p-1': field 'risk_signal_id': unknown"),
    (lambda w: w["responses"][0].update(cc=["k-nobody"]), "responses 'p-1': field 'cc': unknown staff id 'k-nobody'"),
    (lambda w: w["responses"][0].update(to_contact_id="c-2"), "field 'to_contact_id': contacts 'c-2' belongs to another customer"),
    (lambda w: w["responses"][1].update(kind="reminder"), "responses 'p-2': field 'kind'"),
    (lambda w: w["responses"][0].update(edit_ratio=1.5), "responses 'p-1': field 'edit_ratio'"),
    (lambda w: w.update(responses={"p-1": {}}), "responses: expected a list"),
    (lambda w: w["risk_signals"][0].update(resolved_at="yesterday"), "risk_signals 's-1': field 'resolved_at'"),
])
def test_a_bad_history_record_is_named_and_nothing_is_written(store: Store, change: Any, message: str) -> None:
    world = copy.deepcopy(history_world())
    change(world)
    with pytest.raises(WorldFileError, match=message):
        load_world(store, world, now=NOW)
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM customers").fetchone()["n"] == 0
        assert conn.execute("SELECT count(*) AS n FROM past_responses").fetchone()["n"] == 0


def test_a_past_response_counts_with_its_outcome(store: Store) -> None:
    from communicator_escalation.insights.outcomes import record_outcomes

    load_world(store, history_world(), now=NOW)
    assert record_outcomes(store, now=NOW + timedelta(days=30)) == 1  # the first response only
    with store.connection() as conn:
        outcome = conn.execute("SELECT * FROM response_outcomes WHERE response_id = 'p-1'").fetchone()
    assert outcome["first_reply_id"] == "r-1" and outcome["cc_pattern"] == "csm_manager"
    assert outcome["edit_ratio"] == 0.25 and outcome["window_closed"] and outcome["de_escalated"] is True
    assert outcome["reply_tone"] in ("positive", "neutral")  # a Japanese thank-you is not read as negative
