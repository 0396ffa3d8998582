"""CLI command: `escalation context` (Step 1 for a risk signal id or a customer name)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from ..auth.actor import Actor
from ..errors import InvalidRequest
from ..models import EscalationContext, StaffMember
from ..workflow.context.gather import gather_context
from ._app import app, call, console, fail, print_json
from ._render import SEVERITY_STYLES, facts_grid

_TEAM_LABELS = {
    "csm": "CSM",
    "csm_manager": "CSM manager",
    "account_executive": "Account executive",
    "support_lead": "Support lead",
    "executive_sponsor": "Executive sponsor",
    "engineering_manager": "Engineering manager",
    "security_officer": "Security officer",
    "billing_specialist": "Billing specialist",
}
_TREND_MARKS = {"declining": ("▼", "red"), "stable": ("▶", "yellow"), "improving": ("▲", "green")}


def duration(hours: float) -> str:
    """'3 days 2 h', '5 h 10 min' or '23 min' for a number of hours."""
    minutes = max(int(round(hours * 60)), 0)
    days, rest = divmod(minutes, 24 * 60)
    whole_hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {whole_hours} h"
    if whole_hours:
        return f"{whole_hours} h {mins} min"
    return f"{mins} min"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _person(staff: StaffMember) -> str:
    return f"{staff.name} <{staff.email}>"


def render(ctx: EscalationContext) -> Group:
    """The human view of a context: what a CSM reads before answering."""
    cust, esc, health = ctx.customer, ctx.escalation, ctx.health
    mark, colour = _TREND_MARKS[health.direction]
    trend = Text(f"{health.score} ", style="bold")
    trend.append(f"{mark} {health.direction}", style=colour)
    if health.window_days is not None:
        trend.append(f" ({health.change:+d} over {health.window_days} days)")
    renewal = "unknown"
    if cust.renewal_date is not None:
        renewal = f"{cust.renewal_date.isoformat()} (in {cust.days_to_renewal} days)"
    account = [
        ("Customer", f"{cust.name} ({cust.id}), {cust.tier.replace('_', ' ')}, {cust.timezone}"),
        ("ARR", f"${cust.arr:,.0f}"),
        ("Health", trend),
        ("Renewal", renewal),
    ]
    if cust.tenure_months is not None:
        account.append(("Customer for", f"{cust.tenure_months} months"))

    severity = Text(esc.severity, style=SEVERITY_STYLES[esc.severity])
    given_type = esc.escalation_type or "type not given"
    kind = Text.assemble(severity, f" · {given_type} · {esc.signal_type} via {esc.source}")
    since = "ticket opened" if ctx.ticket else "detected"
    escalation = [
        ("Signal", f"{esc.id} ({esc.status})"),
        ("Kind", kind),
        ("Title", esc.title),
        ("Detected", _when(esc.detected_at)),
        ("Open for", f"{duration(esc.unresolved_for_hours)} (since {since} {_when(esc.unresolved_since)})"),
    ]
    if ctx.reporter:
        title = f", {ctx.reporter.title}" if ctx.reporter.title else ""
        escalation.append(("Reported by", f"{ctx.reporter.name}{title} <{ctx.reporter.email}>"))
    if esc.description:
        escalation.append(("Description", esc.description))
    if ctx.reply_to:
        mail = ctx.reply_to
        sender = mail.contact_name or "unknown sender"
        escalation.append(("Reply to", f"\"{mail.subject or ''}\" from {sender}, {_when(mail.at)}"))
        escalation.append(("Message-ID", f"{mail.message_id or 'none'} (thread {mail.thread_id or 'none'})"))
    else:
        escalation.append(("Reply to", "no email on the signal: the response starts a new thread"))

    parts: list[Panel] = [
        Panel(facts_grid(account), title="Account", title_align="left"),
        Panel(facts_grid(escalation), title="Escalation", title_align="left"),
    ]
    if ctx.ticket:
        ticket = ctx.ticket
        people = [f"{label} {person.name}" for label, person in (("requester", ticket.requester),
                                                                  ("assignee", ticket.assignee)) if person]
        lines = [
            ("Ticket", f"{ticket.id} [{ticket.priority}, {ticket.status}] {ticket.subject}"),
            ("Opened", f"{_when(ticket.opened_at)}; {'; '.join(people) or 'no requester or assignee'}"),
        ]
        lines += [(_when(event.at), f"{event.kind}: {event.note or ''}") for event in ticket.events]
        parts.append(Panel(facts_grid(lines), title="Ticket", title_align="left"))

    return Group(*parts, *_history_and_team(ctx))


def _history_and_team(ctx: EscalationContext) -> list[Panel]:
    listed: list[tuple[str, str]] = []
    listed += [("Other open escalation", f"{s.id} ({s.severity}) {s.title}") for s in ctx.other_open_escalations]
    listed += [("Related signal", f"{s.id} ({s.severity}) {s.title}") for s in ctx.related_signals]
    for prior in ctx.prior_escalations:
        answered = "no response recorded"
        if prior.response_minutes is not None:
            answered = f"answered in {prior.response_minutes} min"
        listed.append(("Prior escalation", f"{prior.id} ({prior.severity}, {prior.status}) {prior.title}; {answered}"))
    listed += [("Save play", f"{p.title} ({p.status})") for p in ctx.save_plays]
    listed.append(("Communications", f"{len(ctx.recent_communications)} in the last 90 days"))
    team = [(label, _person(member)) for key, label in _TEAM_LABELS.items() if (member := getattr(ctx.team, key))]
    return [Panel(facts_grid(listed), title="History", title_align="left"),
            Panel(facts_grid(team or [("Team", "nobody in the directory")]), title="Team", title_align="left")]


@app.command("context")
def context(
    signal_id: str | None = typer.Argument(None, help="Risk signal id of the escalation, e.g. rs-1001."),
    customer: str | None = typer.Option(None, "--customer", "-c", help="Customer id or name (fuzzy)."),
    as_staff: str | None = typer.Option(
        None, "--as", help="Look as this staff id: only customers they may reach are found (default: all)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the EscalationContext as JSON."),
) -> None:
    """Show an escalation's context: by signal id, or the most urgent open one of a customer."""
    if (signal_id is None) == (customer is None):
        fail(InvalidRequest("give a SIGNAL_ID or --customer NAME (exactly one)"), as_json=as_json)
    ctx = call(
        lambda store: gather_context(store, actor=Actor.of(as_staff), customer=customer, signal_id=signal_id),
        as_json=as_json,
    )
    if as_json:
        print_json(ctx.model_dump(mode="json"))
    else:
        console().print(render(ctx))
