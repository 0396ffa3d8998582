"""CLI commands of the learning loop: `escalation sync` (a follow-up round) and `escalation insights`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from ..config import Settings
from ..insights.report import build_insights
from ..insights.tone import tone_reader
from ..rendering import render
from ..workflow.followthrough.rounds import follow_up
from ..workflow.policy import load_policy
from ._app import app, guarded, opened_store, print_json

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer (name or id).")] = None,
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="Only responses sent since this day (UTC).")] = None,
    as_staff: Annotated[
        str | None, typer.Option("--as", help="Look as this staff id: only customers they may reach (default: all).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Time to first acknowledgment, which approaches de-escalate, and which templates CSMs rewrite."""
    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        report = build_insights(store, policy=load_policy(settings.policy_file), customer=customer,
                                since=since.date() if since else None, actor_id=as_staff, tone=tone_reader(settings))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        typer.echo(render("cli/insights.j2", report=report).strip())
