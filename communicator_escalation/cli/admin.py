"""CLI commands: API tokens (`escalation token ...`) and the pre-drafting worker (`escalation worker`)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ..agent.llm import make_chat_model
from ..auth.tokens import create_token, list_tokens, revoke_token
from ..config import Settings
from ..worker import run_worker
from ..rendering import phrases, render
from ..workflow.drafting.open import PredraftOutcome
from ..workflow.followthrough.rounds import FollowUpReport
from ..workflow.policy import load_policy
from ._app import app, call, guarded, opened_store, print_json
from .options import AsJson

token_app = typer.Typer(help="Bearer tokens of the HTTP API (stored hashed; shown once).", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    staff: Annotated[str, typer.Option("--staff", help="Staff id the token acts as.")],
    label: Annotated[str | None, typer.Option("--label", help="What the token is for.")] = None,
) -> None:
    """Issue a token; it is printed alone on the last line and cannot be shown again."""
    issued = call(lambda store: create_token(store, staff_id=staff, label=label))
    typer.echo(phrases("cli/messages.j2").token_created(issued))
    typer.echo(issued.token)


@token_app.command("revoke")
def token_revoke(token: Annotated[str, typer.Argument(help="The token itself, or its id (tok_...).")]) -> None:
    """Revoke a token; requests with it get 401 from now on."""
    info = call(lambda store: revoke_token(store, token_or_id=token))
    typer.echo(phrases("cli/messages.j2").token_revoked(info))


@token_app.command("list")
def token_list(
    staff: Annotated[str | None, typer.Option("--staff", help="Only this staff member's tokens.")] = None,
    as_json: AsJson = False,
) -> None:
    """List issued tokens (ids, owners, last use; never the tokens)."""
    tokens = call(lambda store: list_tokens(store, staff_id=staff), as_json=as_json)
    if as_json:
        print_json([t.model_dump(mode="json") for t in tokens])
        return
    words = phrases("cli/messages.j2")
    for t in tokens:
        typer.echo(words.token_line(t))
    if not tokens:
        typer.echo(words.no_tokens())


def _echo_outcome(outcome: PredraftOutcome) -> None:
    typer.echo(phrases("cli/messages.j2").predraft(outcome))


def _echo_follow_up(report: FollowUpReport) -> None:
    typer.echo(render("cli/follow_up.j2", report=report).strip())


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option(
        "--once", help="Pre-draft open escalations without a response, then exit.")] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0, help="Stop listening after S seconds.")] = None,
) -> None:
    """Pre-draft new open escalations in the background (PostgreSQL LISTEN/NOTIFY).

    At start it catches up on open escalations that have no response; then every escalation
    inserted by `escalation load`, the API or plain SQL is drafted as it arrives. Every few minutes
    it follows up on sent responses: drafts the status updates that are due, reads Gmail replies,
    records outcomes. Safe to run twice.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, words = Settings(), phrases("cli/messages.j2")
    with guarded(), opened_store(settings) as store:
        policy = load_policy(settings.policy_file)
        if not once:
            typer.echo(words.listening())
        try:
            report = run_worker(store, policy=policy, llm=make_chat_model(settings), once=once, timeout=timeout,
                                on_outcome=_echo_outcome, settings=settings, on_follow_up=_echo_follow_up)
        except KeyboardInterrupt:
            typer.echo(words.stopped())
            return
    typer.echo(words.worker_done(report.count("drafted"), report.count("exists"), report.count("failed")))
