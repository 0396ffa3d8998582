"""CLI commands of Step 4: edit, cc, send, approvals, reconcile, responses.

Every command acts as the account's CSM unless `--as STAFF_ID` names someone else; what that
person may not do is refused with the reason (exit code 1).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from ..auth.actor import Actor
from ..config import Settings
from ..errors import InvalidRequest
from ..mail.factory import make_mailer, make_transport
from ..rendering import phrases, render
from ..utc import utcnow
from ..workflow.delivery.reconcile import in_flight, reconcile
from ..workflow.delivery.send_with_approval import (
    approval_status_for,
    approvals_for,
    decide_approval,
    send_with_approval,
)
from ..workflow.delivery.sending import SendOutcome
from ..workflow.delivery.tracking import list_responses
from ..workflow.policy import Policy, load_policy
from ..workflow.review.edits import ResponseView, add_cc, get_response, remove_cc, revise_response
from ._app import app, guarded, opened_store, print_json
from .options import ApprovalIdArg, AsJson, AsStaff, LookAs, OnlyCustomer, ResponseIdArg

approvals_app = typer.Typer(help="Approval requests: list, approve, reject, status.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")

def _policy(settings: Settings) -> Policy:
    return load_policy(settings.policy_file)


def _words() -> Any:
    return phrases("cli/responses.j2")


def _show_response(view: ResponseView, *, as_json: bool) -> None:
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    typer.echo(_words().response(view))


def _report_send(outcome: SendOutcome, customer: str, *, as_json: bool) -> None:
    if as_json:
        print_json(outcome.model_dump(mode="json"))
    elif outcome.outcome == "already_sending":
        typer.echo(render("cli/send_in_flight.j2", w=outcome.in_flight, now=utcnow(), utc=UTC).strip())
    else:
        text = render("cli/send_outcome.j2", outcome=outcome, customer=customer, utc=UTC).strip()
        typer.echo(text, err=outcome.outcome in ("failed", "unknown"))
    if outcome.outcome in ("failed", "unknown"):
        raise typer.Exit(1)


@app.command("send")
def send_command(
    response_id: ResponseIdArg,
    urgent: Annotated[bool, typer.Option("--urgent", help="Send Urgently: expedited approval.")] = False,
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Send a response: ask for approval (expedited with --urgent), then send it exactly once."""
    settings = Settings()
    actor = Actor.of(as_staff)
    with guarded(as_json=as_json), opened_store(settings) as store:
        outcome = send_with_approval(store, actor=actor, response_id=response_id, urgent=urgent,
                                     transport=make_transport(settings), policy=_policy(settings), settings=settings)
        customer = get_response(store, response_id=response_id, actor=actor).customer_name
    _report_send(outcome, customer, as_json=as_json)


@app.command("edit")
def edit_command(
    response_id: ResponseIdArg,
    subject: Annotated[str | None, typer.Option("--subject", help="New subject.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="New body text.")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", help="Read the new body from a file.")] = None,
    old: Annotated[str | None, typer.Option("--replace", help="Text to replace (with --with).")] = None,
    new: Annotated[str | None, typer.Option("--with", help="Replacement text.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Another contact of the same customer (name, email or id).")] = None,
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Edit the subject or body, replace text, or address the response to another contact."""
    with guarded(as_json=as_json):
        if body is not None and body_file is not None:
            raise InvalidRequest("requests.body_twice")
        if (old is None) != (new is None):
            raise InvalidRequest("requests.replace_pair")
        if body_file is not None:
            try:
                body = body_file.read_text(encoding="utf-8")
            except OSError as err:
                raise InvalidRequest("requests.unreadable", path=body_file, reason=err.strerror) from err
        with opened_store() as store:
            view = revise_response(store, response_id=response_id, actor=Actor.of(as_staff), to=to, subject=subject,
                                   body=body, replace=(old, new) if old is not None and new is not None else None,
                                   policy=_policy(Settings()))
    _show_response(view, as_json=as_json)


@app.command("cc")
def cc_command(
    response_id: ResponseIdArg,
    action: Annotated[str, typer.Argument(help="add or remove.")],
    who: Annotated[str, typer.Argument(help="Staff name, email, id, or a role: 'my manager', 'support lead', ...")],
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Add or remove an internal CC (staff from the directory only)."""
    with guarded(as_json=as_json):
        if action not in ("add", "remove"):
            raise InvalidRequest("requests.cc_action", action=action)
        with opened_store() as store:
            change = add_cc if action == "add" else remove_cc
            view = change(store, response_id=response_id, who=who, actor=Actor.of(as_staff))
    _show_response(view, as_json=as_json)


@approvals_app.command("list")
def approvals_list(
    every: Annotated[bool, typer.Option("--all", help="Also decided and void requests.")] = False,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Approval requests, most urgent first."""
    with guarded(as_json=as_json), opened_store() as store:
        approvals = approvals_for(store, actor=Actor.of(as_staff), status=None if every else "pending")
    if as_json:
        print_json([a.model_dump(mode="json") for a in approvals])
        return
    if not approvals:
        typer.echo(_words().no_approvals(every))
    for approval in approvals:
        typer.echo(_words().approval_line(approval))


@approvals_app.command("status")
def approvals_status(
    response_id: ResponseIdArg,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Where a response's approval stands."""
    with guarded(as_json=as_json), opened_store() as store:
        status = approval_status_for(store, actor=Actor.of(as_staff), response_id=response_id)
    if as_json:
        print_json(status.model_dump(mode="json"))
    else:
        typer.echo(_words().status(status).rstrip())


def _decide(approval_id: str, *, approve: bool, as_staff: str | None, reason: str | None, as_json: bool) -> None:
    settings = Settings()
    actor = Actor.of(as_staff)
    with guarded(as_json=as_json), opened_store(settings) as store:
        decision = decide_approval(store, actor=actor, approval_id=approval_id, approve=approve, reason=reason,
                                   transport=make_transport(settings), policy=_policy(settings), settings=settings)
        customer = get_response(store, response_id=decision.approval.response_id, actor=actor).customer_name
    status, outcome = decision.approval, decision.send
    if as_json and outcome is None:
        print_json(status.model_dump(mode="json"))
        return
    if not as_json:
        typer.echo(_words().decided(approve, approval_id, status.response_id, customer))
    if outcome is not None:
        _report_send(outcome, customer, as_json=as_json)


@approvals_app.command("approve")
def approvals_approve(
    approval_id: ApprovalIdArg,
    as_staff: AsStaff = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Note to the CSM.")] = None,
    as_json: AsJson = False,
) -> None:
    """Approve a pending send; it is sent at once."""
    _decide(approval_id, approve=True, as_staff=as_staff, reason=reason, as_json=as_json)


@approvals_app.command("reject")
def approvals_reject(
    approval_id: ApprovalIdArg,
    as_staff: AsStaff = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the CSM.")] = None,
    as_json: AsJson = False,
) -> None:
    """Reject a pending send; the CSM edits it and sends again."""
    _decide(approval_id, approve=False, as_staff=as_staff, reason=reason, as_json=as_json)


@app.command("reconcile")
def reconcile_command(
    stale_minutes: Annotated[float | None, typer.Option(
        "--stale-minutes", min=0,
        help="Also require this many minutes without a heartbeat before taking an attempt over "
             "(never earlier than its lease's expiry; default: the lease alone).")] = None,
    as_json: AsJson = False,
) -> None:
    """Settle sends whose outcome is unknown, or whose attempt's lease expired, by asking the provider."""
    settings = Settings()
    stale_after = timedelta(minutes=stale_minutes) if stale_minutes is not None else None
    with guarded(as_json=as_json), opened_store(settings) as store:
        results = reconcile(store, mailer=make_mailer(settings), policy=_policy(settings), settings=settings,
                            stale_after=stale_after)
        waiting = in_flight(store, stale_after=stale_after)
    if as_json:
        print_json({"settled": [r.model_dump(mode="json") for r in results],
                    "in_flight": [w.model_dump(mode="json") for w in waiting]})
        return
    typer.echo(render("cli/reconcile.j2", results=results, waiting=waiting, now=utcnow(), utc=UTC).strip())


@app.command("responses")
def responses_command(
    customer: OnlyCustomer = None,
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Escalation responses with status, approval and response time."""
    with guarded(as_json=as_json), opened_store() as store:
        items = list_responses(store, actor=Actor.of(as_staff), customer=customer)
    if as_json:
        print_json([i.model_dump(mode="json") for i in items])
        return
    if not items:
        typer.echo(_words().no_responses())
    for item in items:
        typer.echo(_words().summary_line(item))

