"""CLI command: `escalation draft` (Steps 1-3: gather, strategy, CCs, draft, saved as `drafted`)."""

from __future__ import annotations

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..auth.actor import Actor
from ..config import Settings
from ..errors import InvalidRequest
from ..models import Draft
from ..workflow.drafting.open import open_or_create_draft
from ..workflow.policy import load_policy
from ._app import app, console, fail, guarded, opened_store, print_json
from ._render import SEVERITY_STYLES, facts_grid

_URGENCY_STYLES = {"on_track": "green", "due_soon": "yellow", "breached": "bold red"}


def _sla_text(draft: Draft) -> Text:
    sla = draft.strategy.sla
    minutes = sla.minutes_to_first_response_due
    hours, mins = divmod(abs(minutes), 60)
    span = f"{hours} h {mins} min" if hours else f"{mins} min"
    state = f"first response due in {span}" if minutes >= 0 else f"first response {span} late"
    text = Text(state, style=_URGENCY_STYLES[sla.urgency])
    text.append(f"; updates every {sla.update_every_hours:g} h; resolution due {sla.resolution_due:%Y-%m-%d %H:%M %Z}")
    return text


def render(draft: Draft, *, reopened: bool = False) -> Group:
    """The human card of a draft: headers, body, suggested CCs, other escalations, review notes.

    `reopened` marks a draft that existed before this request (opened as it stands).
    """
    esc, email = draft.escalation, draft.email
    kind = Text(esc.severity, style=SEVERITY_STYLES[esc.severity])
    kind.append(f" · {esc.type} · tone {draft.strategy.tone} · {draft.generated_by.replace('_', ' ')}")
    headers: list[tuple[str, Text | str]] = [
        ("Customer", f"{draft.customer.name} ({draft.customer.id})"),
        ("Escalation", f"{esc.risk_signal_id}: {esc.title}"),
        ("Kind", kind),
        ("SLA", _sla_text(draft)),
        ("From", f"{draft.sender.name} <{draft.sender.email}>" if draft.sender else "no CSM in the directory"),
        ("To", ", ".join(email.to) or Text("nobody yet: choose a contact", style="bold red")),
        ("CC", ", ".join(email.cc) or "none (suggestions below)"),
        ("Subject", email.subject),
    ]
    if email.in_reply_to:
        headers.append(("In-Reply-To", f"{email.in_reply_to} (thread {email.thread_id or 'none'})"))
    if draft.follows_response_id:
        headers.append(("Follows", f"{draft.follows_response_id} ({draft.kind})"))
    parts = [
        Panel(facts_grid(headers), title=f"Escalation response draft {draft.response_id}", title_align="left",
              subtitle="opened as it stands; --new drafts again" if reopened else None, subtitle_align="left"),
        Panel(Text(email.body), title="Body", title_align="left"),
    ]
    if draft.suggested_ccs:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        table.add_column("Suggested CC", no_wrap=True)
        table.add_column("Name", no_wrap=True)
        table.add_column("Email", no_wrap=True)
        table.add_column("Why")
        for cc in draft.suggested_ccs:
            table.add_row(Text(cc.label), Text(cc.name), Text(cc.email), Text(cc.reason))
        parts.append(Panel(table, title="Suggested CCs (not added)", title_align="left"))
    notes = [(f"{o.risk_signal_id}", f"({o.severity}) {o.title}") for o in draft.other_open_escalations]
    if notes:
        parts.append(Panel(facts_grid(notes), title="Other open escalations", title_align="left"))
    if draft.strategy.reasons:
        why = Text("\n".join(f"• {r}" for r in draft.strategy.reasons))
        parts.append(Panel(why, title=f"Why tone {draft.strategy.tone}", title_align="left"))
    if draft.review_notes:
        lines = [f"• {'BLOCKS SENDING: ' if n.kind == 'blocking' else ''}{n.text}" for n in draft.review_notes]
        parts.append(Panel(Text("\n".join(lines)), title="Review notes", title_align="left"))
    return Group(*parts)


@app.command("draft")
def draft(
    customer: str | None = typer.Argument(None, help="Customer id or name (fuzzy), e.g. DataFlow."),
    signal: str | None = typer.Option(None, "--signal", "-s", help="Answer this escalation signal id instead of the most urgent."),
    instructions: str | None = typer.Option(
        None, "--instructions", "-i",
        help="Guidance for the LLM rewrite's tone (never changes facts or recipients); always a new draft.",
    ),
    new: bool = typer.Option(False, "--new", help="Draft again even when the escalation has an open draft."),
    as_staff: str | None = typer.Option(
        None, "--as", help="Draft as this staff id: only customers they may reach are found (default: all, as the CSM)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the Draft JSON."),
) -> None:
    """Draft the escalation response for a customer and save it for review (state `drafted`).

    An escalation that already has a draft in `drafted` state (the worker's pre-draft, or one being
    reviewed) opens that draft as it stands; `--new` or `--instructions` draft again.
    """
    if customer is None and signal is None:
        fail(InvalidRequest("give a CUSTOMER or --signal ID"), as_json=as_json)
    from ..agent.llm import make_chat_model  # LangChain loads only for the draft command

    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        llm = make_chat_model(settings)
        opened = open_or_create_draft(
            store, actor=Actor.of(as_staff), customer=customer, signal_id=signal, instructions=instructions,
            new=new, policy=load_policy(settings.policy_file), llm=llm,
        )
    if as_json:
        print_json(opened.draft.to_json())
    else:
        console().print(render(opened.draft, reopened=not opened.created))
