"""A crowd world for load tests and the API load benchmark: many customers, each with one open escalation.

Another vendor (Harbor Analytics), several CSM books under one manager, names in several languages,
escalation types and severities that vary by customer, and no `as_of` (signals detected minutes
before the world is built, so every escalation is open and unanswered).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["crowd_world", "csm_of"]

_FIRST = ["Aiko", "Bruno", "Chiara", "Dmitri", "Eszter", "Farah", "Gustavo", "Hanne", "Ines", "Jonas", "Kalani",
          "Leila", "Mateo", "Nora", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamar"]
_LAST = ["Sato", "Costa", "Russo", "Volkov", "Nagy", "Haddad", "Pereira", "Berg", "Duarte", "Lind", "Akana",
         "Moreau", "Silva", "Kraus", "Nyberg", "Iyer", "Laurent", "Ortega", "Holm", "Levi"]
_TRADES = ["Logistics", "Foods", "Clinics", "Metals", "Energy", "Textiles", "Ports", "Media", "Farms", "Labs"]
_TYPES = [("technical", "ticket_escalated", "Nightly sync jobs fail", "Sync jobs fail since the last release."),
          ("billing", "executive_complaint", "Invoice charged twice", "The March invoice was charged twice."),
          ("outage", "critical_issue", "Dashboard down for all users", "Nobody can open the dashboard."),
          ("service", "executive_complaint", "No answer from support", "Three tickets unanswered for a week.")]
_SEVERITIES = ["critical", "high", "medium"]


def csm_of(index: int, csms: int) -> str:
    """Staff id of the CSM who owns customer `index` in a world with `csms` CSMs."""
    return f"h-csm{index % csms}"


def _staff(csms: int) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = [
        {"id": "h-lead", "name": "Mirela Popescu", "email": "mirela@harbor.example", "role": "csm_manager"},
        {"id": "h-support", "name": "Kofi Mensah", "email": "kofi@harbor.example", "role": "support_lead"},
        {"id": "h-eng", "name": "Yuki Tanaka", "email": "yuki@harbor.example", "role": "support_engineer"},
        {"id": "h-billing", "name": "Amara Okafor", "email": "amara@harbor.example", "role": "billing_specialist"},
        {"id": "h-engman", "name": "Lucas Fontaine", "email": "lucas@harbor.example", "role": "engineering_manager"},
    ]
    for n in range(csms):
        first, last = _FIRST[(n * 7) % len(_FIRST)], _LAST[(n * 3) % len(_LAST)]
        people.append({"id": f"h-csm{n}", "name": f"{first} {last}", "email": f"csm{n}@harbor.example",
                       "role": "csm", "manager_id": "h-lead", "timezone": "Europe/Lisbon"})
    return people


def _customer(index: int, csms: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The records of customer `index`: the account, two contacts, a ticket (its fix scheduled) and its escalation."""
    kind, signal_type, title, description = _TYPES[index % len(_TYPES)]
    name = f"{_LAST[index % len(_LAST)]} {_TRADES[index % len(_TRADES)]} {index}"
    domain = f"cust{index}.example"
    people = [(_FIRST[(index + k * 5) % len(_FIRST)], _LAST[(index * 3 + k) % len(_LAST)]) for k in range(2)]
    contacts = [{"id": f"p-{index}-{k}", "customer_id": f"k-{index}", "name": f"{first} {last}",
                 "title": ("Head of Operations", "IT Lead")[k], "email": f"{first.lower()}.{last.lower()}@{domain}"}
                for k, (first, last) in enumerate(people)]
    opened = now - timedelta(hours=6 + index % 30)
    return {
        "customers": [{"id": f"k-{index}", "name": name, "domain": domain, "arr": 40_000 + 5_000 * index,
                       "tier": ("enterprise", "mid_market", "smb")[index % 3], "health_score": 40 + index % 50,
                       "timezone": "Europe/Lisbon", "csm_id": csm_of(index, csms), "support_lead_id": "h-support"}],
        "contacts": contacts,
        "tickets": [{"id": f"T-{index}", "customer_id": f"k-{index}", "subject": title, "description": description,
                     "priority": "urgent", "status": "escalated", "opened_at": opened.isoformat(),
                     "requester_contact_id": f"p-{index}-1", "assignee_id": "h-eng",
                     "events": [{"at": opened.isoformat(), "kind": "opened", "note": "Reported by the customer"},
                                {"at": (opened + timedelta(hours=1)).isoformat(), "kind": "fix_scheduled",
                                 "note": "Fix planned for the next release",
                                 "due": (now + timedelta(days=3)).isoformat()}]}],
        "risk_signals": [{"id": f"sig-{index}", "customer_id": f"k-{index}", "signal_type": signal_type,
                          "severity": _SEVERITIES[index % len(_SEVERITIES)], "source": "support_ticket",
                          "escalation_type": kind, "title": title, "description": description,
                          "detected_at": (now - timedelta(minutes=10 + index % 40)).isoformat(), "status": "open",
                          "reported_by_contact_id": f"p-{index}-0", "ticket_id": f"T-{index}"}],
    }


def crowd_world(customers: int, *, csms: int = 4, now: datetime | None = None) -> dict[str, Any]:
    """An escalation-world/1 document with `customers` customers shared among `csms` CSMs."""
    now = now or datetime.now(timezone.utc)
    world: dict[str, Any] = {
        "format": "escalation-world/1",
        "vendor": {"name": "Harbor Analytics", "email_domain": "harbor.example"},
        "staff": _staff(csms),
        "customers": [], "contacts": [], "tickets": [], "risk_signals": [],
    }
    for index in range(customers):
        for section, records in _customer(index, csms, now).items():
            world[section].extend(records)
    return world
