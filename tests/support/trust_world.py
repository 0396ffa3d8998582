"""A small world for the trust tests: one customer whose free-text fields a test chooses.

Vendor Kestrel Systems (Lisbon), customer Aurora Freight (Chicago) with two contacts, one ticket with
events, the customer's inbound email and one escalation; `world(...)` overrides any text or adds
records. Timestamps are relative to `now` and the world has no `as_of`, so it loads as written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STAFF = [
    {"id": "k-rita", "name": "Rita Alves", "email": "rita.alves@kestrel.example", "role": "csm",
     "manager_id": "k-bo", "phone": "+351 21 555 0144", "timezone": "Europe/Lisbon"},
    {"id": "k-bo", "name": "Bo Lindgren", "email": "bo.lindgren@kestrel.example", "role": "csm_manager"},
    {"id": "k-tariq", "name": "Tariq Aziz", "email": "tariq.aziz@kestrel.example", "role": "support_engineer",
     "phone": "+351 21 555 0177"},
    {"id": "k-mei", "name": "Mei Chen", "email": "mei.chen@kestrel.example", "role": "support_lead"},
    {"id": "k-olu", "name": "Olu Adeyemi", "email": "olu.adeyemi@kestrel.example", "role": "executive",
     "title": "Chief Customer Officer"},
    {"id": "k-iris", "name": "Iris Novak", "email": "iris.novak@kestrel.example", "role": "billing_specialist"},
]
REPORTER = {"id": "a-dana", "customer_id": "c-aurora", "name": "Dana Whitaker", "title": "VP Operations",
            "email": "dana.whitaker@aurorafreight.example", "role": "executive"}
COLLEAGUE = {"id": "a-sam", "customer_id": "c-aurora", "name": "Sam Ortiz", "title": "Data Engineer",
             "email": "sam.ortiz@aurorafreight.example", "role": "technical"}


def world(now: datetime, *, ticket_subject: str = "Shipment sync fails for large manifests",
          ticket_description: str = "Manifest uploads over 5,000 lines fail and our dispatch board is stale.",
          event_note: str = "Root cause traced to the batch importer",
          events: list[tuple[str, float]] | None = None,
          email_subject: str = "Manifest sync still failing",
          email_body: str = "Rita, the manifest sync failed again and dispatch is working blind.",
          signal: dict[str, Any] | None = None, extra_signals: list[dict[str, Any]] | None = None,
          save_plays: list[dict[str, Any]] | None = None, timezone: str = "America/Chicago",
          detected_minutes_ago: float = 30) -> dict[str, Any]:
    """The world as of `now`; `events` are (kind, hours ago) with `event_note` as every note (a `*_scheduled`
    event records a date 52 hours ahead: by default engineering has scheduled the fix)."""
    def ago(**delta: float) -> str:
        return (now - timedelta(**delta)).isoformat()

    kinds = events if events is not None else [("opened", 50), ("engineering_escalated", 6), ("fix_scheduled", 5)]
    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Kestrel Systems", "email_domain": "kestrel.example"},
        "staff": STAFF,
        "customers": [{"id": "c-aurora", "name": "Aurora Freight LLC", "domain": "aurorafreight.example",
                       "arr": 180000, "tier": "enterprise", "health_score": 64, "timezone": timezone,
                       "csm_id": "k-rita", "support_lead_id": "k-mei", "executive_sponsor_id": "k-olu"}],
        "contacts": [REPORTER, COLLEAGUE],
        "tickets": [{"id": "AF-3107", "customer_id": "c-aurora", "subject": ticket_subject,
                     "description": ticket_description, "priority": "urgent", "status": "escalated",
                     "opened_at": ago(hours=50), "requester_contact_id": "a-sam", "assignee_id": "k-tariq",
                     "events": [{"at": ago(hours=h), "kind": k, "note": event_note,
                                 **({"due": ago(hours=-52)} if k.endswith("_scheduled") else {})}
                                for k, h in kinds]}],
        "communications": [{"id": "m-aurora-1", "customer_id": "c-aurora", "channel": "email", "direction": "inbound",
                            "at": ago(minutes=detected_minutes_ago + 2), "subject": email_subject, "body": email_body,
                            "contact_id": "a-dana", "thread_id": "thr-aurora-1",
                            "message_id": "<aurora-1@aurorafreight.example>"}],
        "risk_signals": [{"id": "rs-aurora", "customer_id": "c-aurora", "signal_type": "ticket_escalated",
                          "severity": "high", "source": "support_ticket", "escalation_type": "technical",
                          "title": "Ticket escalated: manifest sync failures",
                          "description": "VP Operations escalated AF-3107 after two days.",
                          "detected_at": ago(minutes=detected_minutes_ago), "status": "open",
                          "reported_by_contact_id": "a-dana", "ticket_id": "AF-3107",
                          "communication_id": "m-aurora-1", **(signal or {})},
                         *(extra_signals or [])],
        "save_plays": save_plays or [],
    }
