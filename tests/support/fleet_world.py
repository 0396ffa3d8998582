"""A world of many customers with one fresh open escalation each, for tests where several processes race.

Vendor Kestrel Data; one CSM team (CSM Aiyana, manager Bruno, executive Chiara) beside a support lead and an
engineering manager. Customer, contact and city names cycle through several languages; every escalation
replies on an email thread, and its ticket records the fix engineering scheduled (so each draft is sendable).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

_NAMES = [
    ("Brasa Alimentos", "Joana Prates", "brasa.example"), ("Nordlys Energi", "Sigrid Haugen", "nordlys.example"),
    ("Sakura Logistics", "Haruto Mori", "sakura-log.example"), ("Veleta Seguros", "Álvaro Ibáñez", "veleta.example"),
    ("Zielony Rynek", "Agnieszka Wróbel", "zielony.example"), ("Kilimanjaro Tech", "Amani Mwangi", "kili.example"),
    ("Lumière Santé", "Élodie Carré", "lumiere.example"), ("Dunărea Transport", "Ioana Popescu", "dunarea.example"),
]


def fleet_world(count: int, *, now: datetime | None = None) -> dict[str, Any]:
    """`count` customers, each with one contact, one ticket, one inbound email and one open high escalation."""
    now = now or datetime.now(timezone.utc)
    world: dict[str, Any] = {
        "format": "escalation-world/1",
        "vendor": {"name": "Kestrel Data", "email_domain": "kestrel.example"},
        "staff": [
            {"id": "k-aiyana", "name": "Aiyana Redcloud", "email": "aiyana@kestrel.example", "role": "csm",
             "manager_id": "k-bruno"},
            {"id": "k-bruno", "name": "Bruno Costa", "email": "bruno@kestrel.example", "role": "csm_manager"},
            {"id": "k-chiara", "name": "Chiara Esposito", "email": "chiara@kestrel.example", "role": "executive"},
            {"id": "k-dario", "name": "Dario Lind", "email": "dario@kestrel.example", "role": "support_lead"},
            {"id": "k-emeka", "name": "Emeka Obi", "email": "emeka@kestrel.example", "role": "engineering_manager"},
        ],
        "customers": [], "contacts": [], "tickets": [], "communications": [], "risk_signals": [],
    }
    for n in range(count):
        name, person, domain = _NAMES[n % len(_NAMES)]
        suffix = f" {n // len(_NAMES) + 1}" if n >= len(_NAMES) else ""
        key = f"{n:03d}"
        world["customers"].append({"id": f"c-{key}", "name": f"{name}{suffix}", "domain": domain, "arr": 90000 + n,
                                   "tier": "enterprise", "health_score": 55, "csm_id": "k-aiyana",
                                   "support_lead_id": "k-dario"})
        world["contacts"].append({"id": f"p-{key}", "customer_id": f"c-{key}", "name": person, "title": "COO",
                                  "email": f"coo{key}@{domain}", "role": "executive"})
        world["tickets"].append({"id": f"T-{key}", "customer_id": f"c-{key}", "subject": "Sync jobs failing",
                                 "priority": "urgent", "status": "open", "opened_at": (now - timedelta(hours=20)).isoformat(),
                                 "requester_contact_id": f"p-{key}",
                                 "events": [{"at": (now - timedelta(hours=2)).isoformat(), "kind": "fix_scheduled",
                                             "note": "Patch scheduled", "due": (now + timedelta(days=2)).isoformat()}]})
        world["communications"].append({"id": f"m-{key}", "customer_id": f"c-{key}", "channel": "email",
                                        "direction": "inbound", "at": (now - timedelta(minutes=50)).isoformat(),
                                        "subject": "Sync jobs failing again", "contact_id": f"p-{key}",
                                        "thread_id": f"thr-{key}", "message_id": f"<m{key}@{domain}>"})
        world["risk_signals"].append({"id": f"rs-{key}", "customer_id": f"c-{key}", "signal_type": "ticket_escalated",
                                      "severity": "high", "source": "support_ticket", "escalation_type": "technical",
                                      "title": "Sync failures escalated", "status": "open",
                                      "detected_at": (now - timedelta(minutes=45)).isoformat(),
                                      "reported_by_contact_id": f"p-{key}", "ticket_id": f"T-{key}",
                                      "communication_id": f"m-{key}"})
    return world
