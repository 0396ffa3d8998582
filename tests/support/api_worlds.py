"""A world for API, auth and worker tests: two CSM teams, so one CSM's customer is another's 404.

Another vendor (Vela Systems), Spanish and Polish names, and no `as_of` (timestamps relative to the
moment the world is built, so signals are fresh). Roles:

- Lucía (csm, manager Marek) owns Horizonte Logística (AE Tomasz, support lead Ines, sponsor Olga);
- Piotr (csm, manager Zofia) owns Baltyk Foods (no AE);
- Olga is an executive, Ewa a support engineer on no account.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world


def api_world(now: datetime | None = None) -> dict[str, Any]:
    """The world as a decoded escalation-world/1 document."""
    now = now or datetime.now(timezone.utc)

    def ago(**delta: float) -> str:
        return (now - timedelta(**delta)).isoformat()

    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Vela Systems", "email_domain": "velasys.example"},
        "staff": [
            {"id": "v-lucia", "name": "Lucía Fernández", "email": "lucia@velasys.example", "role": "csm",
             "manager_id": "v-marek", "phone": "+34 91 555 0101", "timezone": "Europe/Madrid"},
            {"id": "v-piotr", "name": "Piotr Nowak", "email": "piotr@velasys.example", "role": "csm",
             "manager_id": "v-zofia", "timezone": "Europe/Warsaw"},
            {"id": "v-marek", "name": "Marek Zieliński", "email": "marek@velasys.example", "role": "csm_manager"},
            {"id": "v-zofia", "name": "Zofia Wiśniewska", "email": "zofia@velasys.example", "role": "csm_manager"},
            {"id": "v-olga", "name": "Olga Ruiz", "email": "olga@velasys.example", "role": "executive", "title": "CCO"},
            {"id": "v-tomasz", "name": "Tomasz Kowalski", "email": "tomasz@velasys.example", "role": "account_executive"},
            {"id": "v-ines", "name": "Inés Molina", "email": "ines@velasys.example", "role": "support_lead"},
            {"id": "v-ewa", "name": "Ewa Lis", "email": "ewa@velasys.example", "role": "support_engineer"},
        ],
        "customers": [
            {"id": "k-horizonte", "name": "Horizonte Logística", "domain": "horizonte.example", "arr": 180000,
             "tier": "enterprise", "health_score": 58, "timezone": "Europe/Madrid", "csm_id": "v-lucia",
             "account_executive_id": "v-tomasz", "support_lead_id": "v-ines", "executive_sponsor_id": "v-olga",
             "health_history": [{"at": ago(days=40), "score": 75}, {"at": ago(days=2), "score": 58}]},
            {"id": "k-baltyk", "name": "Baltyk Foods", "domain": "baltyk.example", "arr": 60000, "tier": "mid_market",
             "health_score": 70, "timezone": "Europe/Warsaw", "csm_id": "v-piotr"},
        ],
        "contacts": [
            {"id": "p-carmen", "customer_id": "k-horizonte", "name": "Carmen Vidal", "title": "Directora de Operaciones",
             "email": "carmen.vidal@horizonte.example", "role": "executive"},
            {"id": "p-jorge", "customer_id": "k-horizonte", "name": "Jorge Soler", "title": "IT Lead",
             "email": "jorge.soler@horizonte.example", "role": "technical"},
            {"id": "p-anna", "customer_id": "k-baltyk", "name": "Anna Wójcik", "title": "CFO",
             "email": "anna.wojcik@baltyk.example"},
        ],
        "tickets": [
            {"id": "HL-77", "customer_id": "k-horizonte", "subject": "Route planner exports time out",
             "description": "Nightly export jobs time out since the last release.", "priority": "urgent",
             "status": "escalated", "opened_at": ago(days=2), "requester_contact_id": "p-jorge",
             "assignee_id": "v-ewa",
             "events": [{"at": ago(days=2), "kind": "opened", "note": "Export timeouts reported"},
                        {"at": ago(hours=5), "kind": "engineering_escalated", "note": "Escalated to engineering"},
                        {"at": ago(hours=4), "kind": "fix_scheduled", "note": "Fix planned for the next release",
                         "due": ago(days=-3)}]},
        ],
        "risk_signals": [
            {"id": "sig-h1", "customer_id": "k-horizonte", "signal_type": "ticket_escalated", "severity": "high",
             "source": "support_ticket", "escalation_type": "technical", "title": "Export timeouts escalated",
             "detected_at": ago(minutes=30), "status": "open", "reported_by_contact_id": "p-carmen",
             "ticket_id": "HL-77"},
            {"id": "sig-b1", "customer_id": "k-baltyk", "signal_type": "executive_complaint", "severity": "medium",
             "source": "direct_complaint", "escalation_type": "billing", "title": "Invoice charged twice",
             "detected_at": ago(hours=3), "status": "open", "reported_by_contact_id": "p-anna"},
        ],
    }


def load_api_world(store: Store, now: datetime | None = None) -> None:
    """Load `api_world` into `store`."""
    load_world(store, api_world(now))
