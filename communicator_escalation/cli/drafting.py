"""CLI command: `escalation draft` (Steps 1-3: gather, strategy, CCs, draft, saved as `drafted`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..auth.actor import Actor
from ..config import Settings
from ..errors import InvalidRequest
from ..models import Draft
from ..rendering import phrases
from ..workflow.drafting.open import open_or_create_draft
from ..workflow.policy import load_policy
from ._app import app, console, fail, guarded, opened_store, print_json
from ._render import SEVERITY_STYLES, facts_grid
from .options import AsJson, AsStaff

_URGENCY_STYLES = {"on_track": "green", "due_soon": "yellow", "breached": "bold red"}


def _sla_text(draft: Draft) -> Text:
    t, sla = phrases("cli/draft.j2"), draft.strategy.sla
    text = Text(t.sla_state(sla.minutes_to_first_response_due), style=_URGENCY_STYLES[sla.urgency])
    text.append(t.sla_rest(sla))
    return text


def _titled(title: str, body: RenderableType) -> Panel:
    return Panel(body, title=title, title_align="left")


def render(draft: Draft, *, reopened: bool = False) -> Group:
    """The human card of a draft: headers, body, suggested CCs, other escalations, review notes.

    `reopened` marks a draft that existed before this request (opened as it stands). The words come
    from prompts/cli/draft.j2.
    """
    t, esc, email = phrases("cli/draft.j2"), draft.escalation, draft.email
    kind = Text(esc.severity, style=SEVERITY_STYLES[esc.severity])
    kind.append(t.kind(esc, draft.strategy, draft.generated_by))
    headers: list[tuple[str, Text | str]] = [
        ("customer", t.customer(draft.customer)), ("escalation", t.escalation(esc)), ("kind", kind),
        ("sla", _sla_text(draft)), ("from", t.sender(draft.sender)),
        ("to", ", ".join(email.to) or Text(t.nobody(), style="bold red")), ("cc", t.cc(email.cc)),
        ("subject", email.subject),
    ]
    if email.in_reply_to:
        headers.append(("in_reply_to", t.in_reply_to(email)))
    if draft.follows_response_id:
        headers.append(("follows", t.follows(draft)))
    parts = [
        Panel(facts_grid([(t.labels[key], value) for key, value in headers]), title=t.title(draft.response_id),
              title_align="left", subtitle=t.titles["reopened"] if reopened else None, subtitle_align="left"),
        _titled(t.titles["body"], Text(email.body)),
    ]
    if draft.suggested_ccs:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        for key in ("cc_label", "cc_name", "cc_email"):
            table.add_column(t.labels[key], no_wrap=True)
        table.add_column(t.labels["cc_why"])
        for cc in draft.suggested_ccs:
            table.add_row(Text(cc.label), Text(cc.name), Text(cc.email), Text(cc.reason))
        parts.append(_titled(t.titles["suggested_ccs"], table))
    others = [(o.risk_signal_id, t.other(o)) for o in draft.other_open_escalations]
    if others:
        parts.append(_titled(t.titles["others"], facts_grid(others)))
    if draft.strategy.reasons:
        parts.append(_titled(t.why_title(draft.strategy.tone), Text(t.reasons(draft.strategy.reasons))))
    if draft.review_notes:
        parts.append(_titled(t.titles["notes"], Text(t.notes(draft.review_notes))))
    return Group(*parts)


@app.command("draft")
def draft(
    customer: Annotated[str | None, typer.Argument(help="Customer id or name (fuzzy), e.g. DataFlow.")] = None,
    signal: Annotated[str | None, typer.Option(
        "--signal", "-s", help="Answer this escalation signal id instead of the most urgent.")] = None,
    instructions: Annotated[str | None, typer.Option(
        "--instructions", "-i",
        help="Guidance for the LLM rewrite's tone (never changes facts or recipients); always a new draft.")] = None,
    new: Annotated[bool, typer.Option("--new", help="Draft again even when the escalation has an open draft.")] = False,
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Draft the escalation response for a customer and save it for review (state `drafted`).

    An escalation that already has a draft in `drafted` state (the worker's pre-draft, or one being
    reviewed) opens that draft as it stands; `--new` or `--instructions` draft again.
    """
    if customer is None and signal is None:
        fail(InvalidRequest("requests.customer_or_signal"), as_json=as_json)
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
