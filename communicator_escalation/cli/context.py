"""CLI command: `escalation context` (Step 1 for a risk signal id or a customer name)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from ..auth.actor import Actor
from ..errors import InvalidRequest
from ..models import EscalationContext
from ..rendering import phrases
from ..workflow.context.gather import gather_context
from ._app import app, call, console, fail, print_json
from ._render import SEVERITY_STYLES, facts_grid
from .options import AsJson, LookAs

_TEAM_ROLES = ("csm", "csm_manager", "account_executive", "support_lead", "executive_sponsor",
               "engineering_manager", "security_officer", "billing_specialist")
_TREND_MARKS = {"declining": ("▼", "red"), "stable": ("▶", "yellow"), "improving": ("▲", "green")}


def _panel(title: str, rows: list[tuple[str, Text | str]]) -> Panel:
    t = phrases("cli/context.j2")
    return Panel(facts_grid([(t.labels[key], value) for key, value in rows]), title=t.titles[title], title_align="left")


def render(ctx: EscalationContext) -> Group:
    """The human view of a context: what a CSM reads before answering (words from prompts/cli/context.j2)."""
    t = phrases("cli/context.j2")
    cust, esc, health = ctx.customer, ctx.escalation, ctx.health
    mark, colour = _TREND_MARKS[health.direction]
    trend = Text(f"{health.score} ", style="bold")
    trend.append(f"{mark} {health.direction}", style=colour)
    if health.window_days is not None:
        trend.append(t.health_change(health.change, health.window_days))
    account: list[tuple[str, Text | str]] = [
        ("customer", t.customer(cust)), ("arr", t.arr(cust.arr)), ("health", trend), ("renewal", t.renewal(cust)),
    ]
    if cust.tenure_months is not None:
        account.append(("tenure", t.tenure(cust.tenure_months)))
    kind = Text.assemble(Text(esc.severity, style=SEVERITY_STYLES[esc.severity]), t.kind(esc))
    escalation: list[tuple[str, Text | str]] = [
        ("signal", t.signal(esc)), ("kind", kind), ("title", esc.title), ("detected", t.when(esc.detected_at)),
        ("open_for", t.open_for(esc, ctx.ticket is not None)),
    ]
    if ctx.reporter:
        escalation.append(("reporter", t.reporter(ctx.reporter)))
    if esc.description:
        escalation.append(("description", esc.description))
    escalation.append(("reply_to", t.reply_to(ctx.reply_to)))
    if ctx.reply_to:
        escalation.append(("message_id", t.message_id(ctx.reply_to)))
    parts = [_panel("account", account), _panel("escalation", escalation)]
    if ctx.ticket:
        lines = [(t.labels["ticket"], t.ticket(ctx.ticket)), (t.labels["opened"], t.opened(ctx.ticket))]
        lines += [(t.when(event.at), t.event(event)) for event in ctx.ticket.events]
        parts.append(Panel(facts_grid(lines), title=t.titles["ticket"], title_align="left"))
    listed: list[tuple[str, Text | str]] = [("other_open", t.signal_line(s)) for s in ctx.other_open_escalations]
    listed += [("related", t.signal_line(s)) for s in ctx.related_signals]
    listed += [("prior", t.prior(p)) for p in ctx.prior_escalations]
    listed += [("save_play", t.save_play(p)) for p in ctx.save_plays]
    listed.append(("communications", t.communications(len(ctx.recent_communications))))
    parts.append(_panel("history", listed))
    team = [(key, t.person(member)) for key in _TEAM_ROLES if (member := getattr(ctx.team, key))]
    parts.append(_panel("team", team or [("team", t.nobody())]))
    return Group(*parts)


@app.command("context")
def context(
    signal_id: Annotated[str | None, typer.Argument(help="Risk signal id of the escalation, e.g. rs-1001.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", "-c", help="Customer id or name (fuzzy).")] = None,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Show an escalation's context: by signal id, or the most urgent open one of a customer."""
    if (signal_id is None) == (customer is None):
        fail(InvalidRequest("requests.signal_or_customer"), as_json=as_json)
    ctx = call(
        lambda store: gather_context(store, actor=Actor.of(as_staff), customer=customer, signal_id=signal_id),
        as_json=as_json,
    )
    if as_json:
        print_json(ctx.model_dump(mode="json"))
    else:
        console().print(render(ctx))
