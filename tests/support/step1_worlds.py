"""A second world for Step 1 tests: another vendor, Unicode names, ties, cut-offs and look-alike names.

Timestamps are relative to `NOW` and the file has no `as_of`, so it loads as written and tests pin
`now=NOW`. `history` adds that many extra rows of every kind, to show the query count does not grow.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)


def _at(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def _staff() -> list[dict[str, Any]]:
    return [
        {"id": "s-anna", "name": "Anna Schäfer", "email": "anna@nordlicht.example", "role": "csm",
         "manager_id": "s-bernd"},
        {"id": "s-bernd", "name": "Bernd Köhler", "email": "bernd@nordlicht.example", "role": "csm_manager"},
        {"id": "s-carla", "name": "Carla Dietz", "email": "carla@nordlicht.example", "role": "executive", "title": "COO"},
        {"id": "s-dieter", "name": "Dieter Lang", "email": "dieter@nordlicht.example", "role": "support_lead"},
        {"id": "s-emil", "name": "Emil Brandt", "email": "emil@nordlicht.example", "role": "support_engineer"},
        {"id": "s-frida", "name": "Frida Holm", "email": "frida@nordlicht.example", "role": "account_executive"},
        {"id": "s-eng-2", "name": "Greta Vogel", "email": "greta@nordlicht.example", "role": "engineering_manager"},
        {"id": "s-eng-1", "name": "Hans Ebert", "email": "hans@nordlicht.example", "role": "engineering_manager"},
        {"id": "s-sec", "name": "Ida Krüger", "email": "ida@nordlicht.example", "role": "security_officer"},
    ]


def _customers(history: int) -> list[dict[str, Any]]:
    base = {"tier": "mid_market", "csm_id": "s-anna", "health_score": 80}
    muller_history = [{"at": _at(days=400 + i), "score": 40} for i in range(history)]
    muller_history += [{"at": _at(days=d), "score": score} for d, score in ((120, 55), (60, 60), (1, 71))]
    return [
        {
            "id": "k-muller", "name": "Müller & Söhne GmbH", "domain": "mueller-soehne.de", "arr": 125000.5,
            "tier": "enterprise", "health_score": 71, "health_history": muller_history,
            "renewal_date": "2025-04-01", "timezone": "Europe/Berlin", "customer_since": "2023-01-15",
            "csm_id": "s-anna", "account_executive_id": "s-frida", "support_lead_id": "s-dieter",
            "executive_sponsor_id": "s-carla", "country": "DE",
        },
        {
            **base, "id": "k-sakura", "name": "株式会社さくら", "arr": 30000, "tier": "smb", "health_score": 50,
            "health_history": [{"at": _at(days=30), "score": 51}], "timezone": "Asia/Tokyo",
        },
        {**base, "id": "k-acme-corp", "name": "Acme Corp", "arr": 70000},
        {**base, "id": "k-acme-labs", "name": "Acme Labs", "arr": 20000},
        {**base, "id": "k-still", "name": "Stille Wasser AG", "arr": 10000},
    ]


def _contacts() -> list[dict[str, Any]]:
    return [
        {"id": "c-jr", "customer_id": "k-muller", "name": "Jürgen Röß", "title": "Geschäftsführer",
         "email": "juergen@mueller-soehne.de", "role": "executive"},
        {"id": "c-ip", "customer_id": "k-muller", "name": "Ilse Pfeiffer", "title": "IT-Leiterin",
         "email": "ilse@mueller-soehne.de", "role": "technical"},
        {"id": "c-yt", "customer_id": "k-sakura", "name": "山田 太郎", "title": "CTO",
         "email": "yamada@sakura.example"},
        {"id": "c-acme", "customer_id": "k-acme-corp", "name": "Road Runner", "email": "rr@acme.example"},
    ]


def _tickets(history: int) -> list[dict[str, Any]]:
    events = [{"at": _at(days=5), "kind": "opened", "note": "Ticket eröffnet"}]
    events += [{"at": _at(days=4, minutes=i), "kind": "customer_followup", "note": f"follow-up {i}"} for i in range(history)]
    events.append({"at": _at(hours=20), "kind": "engineering_escalated", "note": "An die Entwicklung übergeben"})
    return [
        {"id": "TK-1", "customer_id": "k-muller", "subject": "SSO-Anmeldung schlägt fehl", "priority": "urgent",
         "status": "escalated", "opened_at": _at(days=5), "requester_contact_id": "c-ip", "assignee_id": "s-emil",
         "events": events},
    ]


def _communications(history: int) -> list[dict[str, Any]]:
    rows = [
        {"id": "mail-1", "customer_id": "k-muller", "channel": "email", "direction": "inbound", "at": _at(hours=2),
         "subject": "Dringend: Anmeldung", "body": "Seit Tagen kein Zugang.", "contact_id": "c-jr",
         "thread_id": "thr-m-1", "message_id": "<m1@mueller-soehne.de>"},
        {"id": "mail-old", "customer_id": "k-muller", "channel": "email", "direction": "inbound", "at": _at(days=100),
         "subject": "Rechnung", "contact_id": "c-jr", "thread_id": "thr-old", "message_id": "<old@mueller-soehne.de>"},
        {"id": "meet-old", "customer_id": "k-muller", "channel": "meeting", "direction": "outbound", "at": _at(days=120),
         "subject": "Kick-off"},
        {"id": "call-1", "customer_id": "k-sakura", "channel": "call", "direction": "inbound", "at": _at(hours=3),
         "subject": "障害の報告", "contact_id": "c-yt"},
    ]
    rows += [
        {"id": f"bulk-{i}", "customer_id": "k-muller", "channel": "ticket_comment", "direction": "inbound",
         "at": _at(days=200, minutes=i), "body": f"comment {i}"}
        for i in range(history)
    ]
    return rows


def _signals(history: int) -> list[dict[str, Any]]:
    esc = {"customer_id": "k-muller", "source": "support_ticket", "status": "open"}
    rows = [
        {**esc, "id": "e-main", "signal_type": "critical_issue", "severity": "high", "escalation_type": "security",
         "title": "SSO-Ausfall", "detected_at": _at(hours=1), "reported_by_contact_id": "c-jr", "ticket_id": "TK-1",
         "communication_id": "mail-1"},
        {**esc, "id": "e-older", "signal_type": "ticket_escalated", "severity": "high", "title": "Older high",
         "detected_at": _at(hours=30), "communication_id": "mail-old"},
        {**esc, "id": "e-low", "signal_type": "executive_complaint", "severity": "low", "title": "Newest but low",
         "detected_at": _at(minutes=10)},
        {**esc, "id": "e-prev", "signal_type": "ticket_escalated", "severity": "medium", "title": "Earlier one",
         "detected_at": _at(days=60), "status": "resolved", "response_sent_at": _at(days=60, minutes=-95)},
        {**esc, "id": "e-noresp", "signal_type": "executive_complaint", "severity": "low", "title": "No response",
         "detected_at": _at(days=200), "status": "resolved"},
        {**esc, "id": "e-ancient", "signal_type": "ticket_escalated", "severity": "critical", "title": "Too old",
         "detected_at": _at(days=400), "status": "resolved"},
        {**esc, "id": "r-usage", "signal_type": "usage_drop", "severity": "medium", "source": "product_analytics",
         "title": "Weekly active users down 30%", "detected_at": _at(days=3)},
        {**esc, "id": "r-closed", "signal_type": "health_score_drop", "severity": "medium", "source": "health_model",
         "title": "Closed drop", "detected_at": _at(days=20), "status": "resolved"},
        {"id": "e-sakura", "customer_id": "k-sakura", "signal_type": "critical_issue", "severity": "medium",
         "source": "call", "escalation_type": "outage", "title": "全面障害", "detected_at": _at(hours=3),
         "status": "open", "reported_by_contact_id": "c-yt", "communication_id": "call-1"},
        {"id": "e-acme", "customer_id": "k-acme-corp", "signal_type": "ticket_escalated", "severity": "low",
         "source": "support_ticket", "title": "Anvil delivery late", "detected_at": _at(hours=5), "status": "open"},
        {"id": "e-still", "customer_id": "k-still", "signal_type": "ticket_escalated", "severity": "low",
         "source": "support_ticket", "title": "Long ago", "detected_at": _at(days=500), "status": "resolved"},
    ]
    rows += [
        {**esc, "id": f"bulk-sig-{i}", "signal_type": "ticket_escalated" if i % 2 else "usage_drop",
         "severity": "low", "title": f"bulk {i}", "detected_at": _at(days=100, minutes=i), "status": "resolved",
         "response_sent_at": _at(days=100, minutes=i - 30)}
        for i in range(history)
    ]
    return rows


def _save_plays(history: int) -> list[dict[str, Any]]:
    rows = [
        {"id": "sp-a", "customer_id": "k-muller", "title": "Stabilisierungsplan", "status": "in_progress",
         "owner_id": "s-anna", "created_at": _at(days=10), "actions": ["Wöchentlicher Status-Call"]},
        {"id": "sp-b", "customer_id": "k-muller", "title": "Done plan", "status": "completed", "created_at": _at(days=90)},
        {"id": "sp-c", "customer_id": "k-muller", "title": "Dropped plan", "status": "Cancelled", "created_at": _at(days=80)},
    ]
    rows += [
        {"id": f"sp-bulk-{i}", "customer_id": "k-muller", "title": f"old {i}", "status": "completed",
         "created_at": _at(days=300, minutes=i)}
        for i in range(history)
    ]
    return rows


def nordlicht_world(*, history: int = 0) -> dict[str, Any]:
    """The test world, with `history` extra rows of every kind for the query-count test."""
    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Nordlicht Software GmbH", "email_domain": "nordlicht.example"},
        "staff": _staff(),
        "customers": _customers(history),
        "contacts": _contacts(),
        "tickets": _tickets(history),
        "communications": _communications(history),
        "risk_signals": _signals(history),
        "save_plays": _save_plays(history),
    }
