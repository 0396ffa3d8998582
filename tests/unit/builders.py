"""Build EscalationContext objects in Python for unit tests (no database).

A small, neutral world: a Norwegian vendor, an Austrian customer, staff with names from several
languages. Every builder takes keyword overrides, so a test states only what it is about.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from communicator_escalation.models import (
    AccountTeam,
    Communication,
    Contact,
    Customer,
    Escalation,
    EscalationContext,
    HealthTrend,
    PriorEscalation,
    RiskSignal,
    SavePlay,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    Vendor,
)

NOW = datetime(2030, 6, 12, 13, 0, tzinfo=UTC)  # a Wednesday
VENDOR = Vendor(name="Fjordlys Software", email_domain="fjordlys.example")

_PEOPLE: dict[str, tuple[str, str]] = {
    "csm": ("s-ingrid", "Ingrid Solberg"),
    "csm_manager": ("s-kwame", "Kwame Mensah"),
    "account_executive": ("s-lucia", "Lucía Fernández"),
    "support_lead": ("s-hiro", "Hiroshi Tanaka"),
    "executive_sponsor": ("s-amara", "Amara Okonkwo"),
    "engineering_manager": ("s-piotr", "Piotr Nowak"),
    "security_officer": ("s-sanna", "Sanna Virtanen"),
    "billing_specialist": ("s-rafael", "Rafael Costa"),
}
_SLOT_ROLE: dict[str, StaffRole] = {"executive_sponsor": "executive"}


def staff(staff_id: str, name: str, role: StaffRole, **fields: Any) -> StaffMember:
    """A directory person on the vendor's domain."""
    email = fields.pop("email", f"{staff_id.removeprefix('s-')}@{VENDOR.email_domain}")
    return StaffMember(id=staff_id, name=name, email=email, role=role, **fields)


def team(*, without: tuple[str, ...] = (), **overrides: StaffMember | None) -> AccountTeam:
    """A full account team (every slot filled, the CSM managed by the csm_manager), minus `without`."""
    members: dict[str, StaffMember | None] = {}
    for slot, (staff_id, name) in _PEOPLE.items():
        extra = {"manager_id": _PEOPLE["csm_manager"][0]} if slot == "csm" else {}
        members[slot] = staff(staff_id, name, _SLOT_ROLE.get(slot, slot), **extra)  # type: ignore[arg-type]
    for slot in without:
        members[slot] = None
    members.update(overrides)
    return AccountTeam(**members)


def contact(**fields: Any) -> Contact:
    """A contact at the customer (default: a non-executive operations lead)."""
    values = {
        "id": "p-klara",
        "customer_id": "k-kaffee",
        "name": "Klara Huber",
        "email": "klara.huber@kaffeehaus.example",
        "title": "Operations Lead",
        "role": "technical",
    }
    return Contact(**{**values, **fields})


def customer(*, now: datetime = NOW, renewal_in_days: int | None = 300, **fields: Any) -> Customer:
    """The account (Vienna, mid-market) with days_to_renewal derived from `renewal_in_days`."""
    renewal = now.date() + timedelta(days=renewal_in_days) if renewal_in_days is not None else None
    values = {
        "id": "k-kaffee",
        "name": "Kaffeehaus Wien GmbH",
        "domain": "kaffeehaus.example",
        "arr": 80_000.0,
        "tier": "mid_market",
        "health_score": 78,
        "renewal_date": renewal,
        "days_to_renewal": renewal_in_days,
        "timezone": "Europe/Vienna",
        "customer_since": date(2027, 1, 1),
    }
    return Customer(**{**values, **fields})


def event(kind: str, at: datetime, note: str | None = None) -> TicketEvent:
    return TicketEvent(at=at, kind=kind, note=note)


def ticket(*, events: list[TicketEvent] | None = None, **fields: Any) -> Ticket:
    """A support ticket (unassigned unless `assignee` is given)."""
    values = {
        "id": "TK-77",
        "subject": "Kassensystem synchronisiert nicht",
        "priority": "high",
        "status": "open",
        "opened_at": NOW - timedelta(days=2),
        "events": events or [],
    }
    return Ticket(**{**values, **fields})


def signal(**fields: Any) -> RiskSignal:
    """Another escalation signal of the customer."""
    values = {
        "id": "rs-other",
        "customer_id": "k-kaffee",
        "signal_type": "ticket_escalated",
        "severity": "medium",
        "source": "support_ticket",
        "title": "Earlier escalation",
        "detected_at": NOW - timedelta(days=20),
        "status": "open",
    }
    return RiskSignal(**{**values, **fields})


def prior(*, days_ago: float, **fields: Any) -> PriorEscalation:
    """An earlier (resolved) escalation `days_ago` before NOW."""
    values = {
        "id": f"rs-prior-{days_ago}",
        "signal_type": "ticket_escalated",
        "severity": "medium",
        "title": "Frühere Eskalation",
        "detected_at": NOW - timedelta(days=days_ago),
        "status": "resolved",
    }
    return PriorEscalation(**{**values, **fields})


def save_play(**fields: Any) -> SavePlay:
    values = {"id": "sp-1", "title": "Recovery plan", "status": "in_progress", "created_at": NOW - timedelta(days=5)}
    return SavePlay(**{**values, **fields})


def email(**fields: Any) -> Communication:
    """An inbound email from the customer."""
    values = {"id": "m-1", "channel": "email", "direction": "inbound", "at": NOW - timedelta(minutes=10)}
    return Communication(**{**values, **fields})


def context(
    *,
    severity: str = "high",
    escalation_type: str | None = "technical",
    title: str = "Escalation",
    description: str | None = None,
    detected_at: datetime | None = None,
    now: datetime = NOW,
    response_sent_at: datetime | None = None,
    customer_fields: dict[str, Any] | None = None,
    renewal_in_days: int | None = 300,
    health_direction: str = "stable",
    reporter: Contact | None = None,
    account_team: AccountTeam | None = None,
    **fields: Any,
) -> EscalationContext:
    """An EscalationContext at `now`; `fields` sets any other context field (ticket, save_plays, ...)."""
    detected = detected_at or now - timedelta(minutes=10)
    the_reporter = reporter or contact()
    escalation = Escalation(
        id="rs-main",
        customer_id="k-kaffee",
        signal_type="executive_complaint",
        severity=severity,
        source="direct_complaint",
        escalation_type=escalation_type,
        title=title,
        description=description,
        detected_at=detected,
        status="open",
        reported_by_contact_id=the_reporter.id,
        response_sent_at=response_sent_at,
        unresolved_since=detected,
        unresolved_for_hours=round((now - detected).total_seconds() / 3600, 2),
    )
    change = {"declining": -12, "stable": 0, "improving": 6}[health_direction]
    values: dict[str, Any] = {
        "gathered_at": now,
        "vendor": VENDOR,
        "customer": customer(now=now, renewal_in_days=renewal_in_days, **(customer_fields or {})),
        "health": HealthTrend(score=78, direction=health_direction, change=change),
        "escalation": escalation,
        "reporter": the_reporter,
        "contacts": [the_reporter],
        "team": account_team or team(),
    }
    return EscalationContext(**{**values, **fields})
