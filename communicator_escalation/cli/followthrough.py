"""CLI commands after the send: `updates` (what is owed), `update` (draft it), `sync` (a follow-up round), `insights`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from ..auth.actor import Actor
from ..config import Settings
from ..insights.report import build_insights
from ..insights.tone import tone_reader
from ..rendering import render
from ..workflow.followthrough.clock import list_due_updates
from ..workflow.followthrough.rounds import follow_up
from ..workflow.followthrough.updates import draft_update
from ..workflow.policy import load_policy
from ._app import app, guarded, opened_store, print_json
from .drafting import render as render_draft
from .options import AsJson, AsStaff, LookAs, OnlyCustomer

At = Annotated[
    datetime | None,
    typer.Option("--at", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                 help="As of this moment (ISO 8601; UTC unless an offset is given), e.g. to plan the next hours."),
]


@app.command("updates")
def updates_command(
    every: Annotated[bool, typer.Option("--all", help="Also clocks still running (not yet due).")] = False,
    at: At = None,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Escalation threads whose next status update (or closing email) is due or overdue."""
    with guarded(as_json=as_json), opened_store() as store:
        items = list_due_updates(store, actor=Actor.of(as_staff), include_upcoming=every, now=at)
    if as_json:
        print_json([item.model_dump(mode="json") for item in items])
    else:
        typer.echo(render("cli/updates.j2", items=items, every=every).strip())


@app.command("update")
def update_command(
    response_id: Annotated[str, typer.Argument(help="A sent response of the thread (as `escalation updates` lists).")],
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Draft the next status update on the same thread (the closing email once the escalation is resolved)."""
    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        opened = draft_update(store, actor=Actor.of(as_staff), response_id=response_id,
                              policy=load_policy(settings.policy_file))
    if as_json:
        print_json(opened.draft.to_json())
        return
    Console().print(render_draft(opened.draft))
    typer.echo(render("cli/update_drafted.j2", draft=opened.draft, created=opened.created).strip())


@app.command("sync")
def sync_command(as_json: AsJson = False) -> None:
    """Follow through on sent responses, list due updates, read Gmail replies back, record outcomes."""
    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        report = follow_up(store, settings=settings, policy=load_policy(settings.policy_file))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        typer.echo(render("cli/sync.j2", report=report, gmail=settings.mail_transport == "gmail").strip())
    if report.errors:
        raise typer.Exit(1)


@app.command("insights")
def insights_command(
    customer: OnlyCustomer = None,
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="Only responses sent since this day (UTC).")] = None,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Time to first acknowledgment, which approaches de-escalate, and which templates CSMs rewrite."""
    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        report = build_insights(store, actor=Actor.of(as_staff), policy=load_policy(settings.policy_file),
                                customer=customer, since=since.date() if since else None, tone=tone_reader(settings))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        typer.echo(render("cli/insights.j2", report=report).strip())
