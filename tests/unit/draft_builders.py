"""Hand-built contexts and strategies for the drafting tests (a world unlike the demo's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from communicator_escalation.models import (
    AccountTeam,
    ActionItem,
    Communication,
    Contact,
    Customer,
    Escalation,
    EscalationContext,
    HealthTrend,
    Milestone,
    PriorEscalation,
    SavePlay,
    SlaClock,
    StaffMember,
    Strategy,
    Ticket,
    TicketEvent,
    Tone,
    TypeDecision,
    Vendor,
)

NOW = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)  # a Tuesday

CSM = StaffMember(id="s-ana", name="Ana Lima", email="ana.lima@helix.example", role="csm",
                  phone="+44 20 7946 0011", manager_id="s-boss")
CSM_NO_PHONE = CSM.model_copy(update={"phone": None})
SPONSOR = StaffMember(id="s-ravi", name="Ravi Menon", email="ravi.menon@helix.example", role="executive",
                      title="Chief Customer Officer")
SECURITY = StaffMember(id="s-ines", name="Inès Moreau", email="ines.moreau@helix.example", role="security_officer",
                       phone="+33 1 70 36 99 01")
ENGINEER = StaffMember(id="s-kofi", name="Kofi Mensah", email="kofi.mensah@helix.example", role="support_engineer",
                       phone="+44 20 7946 0022")
REPORTER = Contact(id="k-zoe", customer_id="c-fjord", name="Zoë Ångström", title="Chief Operating Officer",
                   email="zoe.angstrom@fjordlogistik.example", role="executive")
REQUESTER = Contact(id="k-per", customer_id="c-fjord", name="Per Øberg", title="Integration Lead",
                    email="per.oberg@fjordlogistik.example", role="technical")

TYPES = ("technical", "billing", "service", "security", "outage")
SEVERITIES = ("critical", "high", "medium", "low")

_TEXT = {
    "technical": ("Shipment webhooks failing", "Shipment webhooks return 500 errors since Friday. "
                  "Our warehouse scanners cannot confirm pallets and trucks leave late."),
    "billing": ("Overcharged on invoice FL-7781", "Invoice FL-7781 charged us EUR 12,500 instead of EUR 8,000. "
                "We were billed for 40 seats but only have 25."),
    "service": ("Onboarding workshops cancelled", "Two onboarding workshops were cancelled without notice."),
    "security": ("Suspicious admin logins", "We saw admin logins from an unknown country on our tenant."),
    "outage": ("Tracking portal unavailable", "The tracking portal is down for all users and our customers "
               "cannot see deliveries."),
}


def make_context(
    escalation_type: str = "technical",
    *,
    severity: str = "high",
    reporter: Contact | None = REPORTER,
    requester: Contact | None = REQUESTER,
    with_ticket: bool = True,
    with_email: bool = True,
    csm: StaffMember | None = CSM,
    sponsor: StaffMember | None = SPONSOR,
    security: StaffMember | None = SECURITY,
    save_plays: list[SavePlay] | None = None,
    prior: list[PriorEscalation] | None = None,
    others: list[dict[str, Any]] | None = None,
    email_subject: str | None = None,
    hours_open: float = 74.0,
) -> EscalationContext:
    """An EscalationContext for customer Fjord Logistik AB (Europe/Stockholm)."""
    subject, description = _TEXT[escalation_type]
    opened = NOW - timedelta(hours=hours_open)
    ticket = None
    if with_ticket:
        ticket = Ticket(
            id="FL-T-3310", subject=subject, description=description, priority="urgent", status="escalated",
            opened_at=opened, requester=requester, assignee=ENGINEER,
            events=[TicketEvent(at=opened, kind="opened", note="Ticket opened"),
                    TicketEvent(at=NOW - timedelta(hours=3), kind="engineering_escalated", note="Escalated")],
        )
    mail = None
    if with_email:
        mail = Communication(
            id="m-1", channel="email", direction="inbound", at=NOW - timedelta(minutes=30),
            subject=email_subject or f"Re: {subject}", body=f"Ana, {description} Please call me today.",
            contact_id=reporter.id if reporter else None, contact_name=reporter.name if reporter else None,
            staff_id=CSM.id, thread_id="thr-77", message_id="<z.1@fjordlogistik.example>",
        )
    detected = NOW - timedelta(minutes=40)
    escalation = Escalation(
        id="sig-9", customer_id="c-fjord", signal_type="executive_complaint", severity=severity,
        source="direct_complaint", escalation_type=escalation_type, title=f"COO complaint: {subject}",
        description=description, detected_at=detected, status="open",
        reported_by_contact_id=reporter.id if reporter else None, ticket_id=ticket.id if ticket else None,
        communication_id=mail.id if mail else None,
        unresolved_since=opened if ticket else detected,
        unresolved_for_hours=hours_open if ticket else 40 / 60,
    )
    other_signals = [
        {"id": "sig-8", "customer_id": "c-fjord", "signal_type": "ticket_escalated", "severity": "low",
         "source": "support_ticket", "escalation_type": "technical", "title": "Label printer driver",
         "detected_at": NOW - timedelta(days=2), "status": "open", **o}
        for o in (others or [])
    ]
    return EscalationContext(
        gathered_at=NOW,
        vendor=Vendor(name="Helix Analytics", email_domain="helix.example"),
        customer=Customer(id="c-fjord", name="Fjord Logistik AB", domain="fjordlogistik.example", arr=410000,
                          tier="enterprise", health_score=58, timezone="Europe/Stockholm"),
        health=HealthTrend(score=58, direction="declining", change=-9),
        escalation=escalation,
        reporter=reporter,
        ticket=ticket,
        reply_to=mail,
        recent_communications=[mail] if mail else [],
        prior_escalations=prior or [],
        other_open_escalations=other_signals,
        save_plays=save_plays or [],
        contacts=[c for c in (reporter, requester) if c],
        team=AccountTeam(csm=csm, executive_sponsor=sponsor, security_officer=security),
    )


def make_strategy(
    ctx: EscalationContext,
    *,
    tone: str = "executive",
    repeat: bool = False,
    update_every_hours: float = 4,
    minutes_left: int = 20,
    actions: list[ActionItem] | None = None,
) -> Strategy:
    """A Strategy for `ctx` with a fixed, recognisable timeline."""
    detected = ctx.escalation.detected_at
    kind = ctx.escalation.escalation_type or "technical"
    due = ctx.gathered_at + timedelta(minutes=minutes_left)
    default_actions = [
        ActionItem(text="Engineering team escalated and investigating the root cause (since today at 1:00 PM CET)",
                   kind="ticket_event"),
        ActionItem(text="Dedicated support engineer assigned: Kofi Mensah (direct line: +44 20 7946 0022)",
                   kind="assignee", owner_id=ENGINEER.id),
    ]
    return Strategy(
        escalation_type=TypeDecision(type=kind, inferred=False, evidence=["given on the signal"]),
        template=kind,
        tone=Tone(name=tone, executive_recipient=tone == "executive", repeat_escalation=repeat,
                  elevated_priority=True, reasons=[]),
        sla=SlaClock(
            severity=ctx.escalation.severity, clock="around_the_clock", started_at=detected,
            first_response_due=due, update_every_hours=update_every_hours,
            resolution_due=detected + timedelta(hours=72), minutes_to_first_response_due=minutes_left,
            urgency="breached" if minutes_left < 0 else "on_track",
        ),
        timeline=[
            Milestone(milestone="Root cause analysis", due=NOW + timedelta(hours=3), due_text="today by 7:00 PM CET"),
            Milestone(milestone="Interim mitigation", due=NOW + timedelta(hours=20),
                      due_text="tomorrow by 12:00 PM CET"),
            Milestone(milestone="Permanent fix", due=detected + timedelta(hours=72),
                      due_text="Friday by 3:20 PM CET"),
        ],
        next_update=Milestone(milestone="Next update", due=NOW + timedelta(hours=4), due_text="today by 8:00 PM CET"),
        action_items=default_actions if actions is None else actions,
        review_notes=[],
    )
