"""CLI command: `escalation inbox` (the open escalations to work on, most urgent first)."""

from __future__ import annotations

from typing import Annotated, get_args

import typer

from ..auth.actor import Actor
from ..config import Settings
from ..models import Severity
from ..rendering import phrases, render
from ..workflow.policy import load_policy
from ..workflow.triage import Scope, open_escalations
from ._app import app, guarded, opened_store, print_json
from .options import AsJson, LookAs

_SEVERITIES: tuple[str, ...] = get_args(Severity)


@app.command("inbox")
def inbox(
    scope: Annotated[str, typer.Option("--scope", help="mine, team or all (every customer you may reach).")] = "all",
    severity: Annotated[list[str], typer.Option("--severity", help="Only this severity (repeatable).")] = [],  # noqa: B006
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")] = None,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Open escalations, most urgent first, with the first-response SLA clock (negative minutes: breached)."""
    settings = Settings()
    with guarded(as_json=as_json), opened_store(settings) as store:
        found = open_escalations(
            store, actor=Actor.of(as_staff), policy=load_policy(settings.policy_file), scope=_scope(scope),
            severities=[_severity(s) for s in severity], limit=limit,
        )
    if as_json:
        print_json([item.model_dump(mode="json") for item in found.escalations])
        return
    typer.echo(render("cli/inbox.j2", inbox=found).rstrip())


def _scope(value: str) -> Scope:
    if value not in ("mine", "team", "all"):
        raise typer.BadParameter(phrases("cli/messages.j2").bad_choice("scope", ["mine", "team", "all"], value),
                                 param_hint="--scope")
    return value  # type: ignore[return-value]


def _severity(value: str) -> Severity:
    folded = value.strip().lower()
    if folded not in _SEVERITIES:
        raise typer.BadParameter(phrases("cli/messages.j2").bad_choice("severity", list(_SEVERITIES), value),
                                 param_hint="--severity")
    return folded  # type: ignore[return-value]
