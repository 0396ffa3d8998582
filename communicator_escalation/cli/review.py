"""CLI commands of Step 4: edit, cc, send, approvals, reconcile, responses.

Every command acts as the account's CSM unless `--as STAFF_ID` names someone else; what that
person may not do is refused with the reason (exit code 1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from ..auth.actor import Actor
from ..config import Settings
from ..errors import InvalidRequest
from ..mail.factory import make_mailer, make_transport
from ..rendering import render
from ..utc import utcnow
from ..workflow.delivery.approval import ApprovalStatus, ApprovalView
from ..workflow.delivery.reconcile import in_flight, reconcile
from ..workflow.delivery.send_with_approval import (
    approval_status_for,
    approvals_for,
    decide_approval,
    send_with_approval,
)
from ..workflow.delivery.sending import SendOutcome
from ..workflow.delivery.tracking import ResponseSummary, list_responses
from ..workflow.policy import Policy, load_policy
from ..workflow.review.edits import ResponseView, add_cc, get_response, remove_cc, revise_response
from ._app import app, guarded, opened_store, print_json

approvals_app = typer.Typer(help="Approval requests: list, approve, reject, status.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")

AsStaff = Annotated[str | None, typer.Option("--as", help="Act as this staff id (default: the account's CSM).")]
LookAs = Annotated[
    str | None, typer.Option("--as", help="Look as this staff id: only customers they may reach (default: all).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _policy(settings: Settings) -> Policy:
    return load_policy(settings.policy_file)


def _show_response(view: ResponseView, *, as_json: bool) -> None:
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    to = ", ".join(f"{r.name} <{r.email}>" if r.name else r.email for r in view.to) or "(none)"
    cc = ", ".join(f"{r.name} <{r.email}>" if r.name else r.email for r in view.cc) or "(none)"
    typer.echo(f"Response {view.id} for {view.customer_name} [{view.status}]")
    typer.echo(f"To:      {to}\nCC:      {cc}\nSubject: {view.subject}\n\n{view.body}")


def _approval_line(approval: ApprovalView) -> str:
    urgent = " URGENT" if approval.urgent else ""
    where = f" #{approval.queue_position} in queue" if approval.queue_position else ""
    decided = f", {approval.status} by {approval.decided_by} {_when(approval.decided_at)}" if approval.decided_by else ""
    return (f"{approval.id}{urgent} [{approval.status}{where}] {approval.customer_name} ({approval.severity}) "
            f"\"{approval.subject}\" response {approval.response_id}, requested by {approval.requested_by} "
            f"{_when(approval.requested_at)}, approver {approval.approver_name or '-'}{decided}")


def _show_status(status: ApprovalStatus) -> None:
    typer.echo(f"Response {status.response_id} is {status.response_status}.")
    if status.approval is None:
        typer.echo("No approval requested yet.")
        return
    typer.echo(f"Approval: {_approval_line(status.approval)}")
    if status.approval.reason:
        typer.echo(f"Reason: {status.approval.reason}")
    if not status.content_matches:
        typer.echo("The content changed since this request; sending asks for a new approval.")
    for note in status.notifications:
        error = f" ({note.error})" if note.error else ""
        typer.echo(f"Notified {note.recipient_email}: {note.kind.replace('_', ' ')} [{note.delivery}{error}]")


def _report_send(outcome: SendOutcome, customer: str, *, as_json: bool) -> None:
    if as_json:
        print_json(outcome.model_dump(mode="json"))
    else:
        approval = outcome.approval
        if outcome.outcome == "pending_approval" and approval is not None:
            urgent = "urgent, top of the queue; " if approval.urgent else ""
            typer.echo(f"Escalation response submitted for approval ({urgent}approval {approval.id}, "
                       f"approver {approval.approver_name}, #{approval.queue_position} in queue).")
        elif outcome.outcome == "sent":
            if approval is not None and approval.expedited:
                typer.echo(f"Approved at once by the expedited policy ({approval.reason}); "
                           f"{approval.approver_name} notified.")
            ids = f"Message-ID {outcome.message_id}"
            if outcome.email_id != outcome.message_id:
                ids = f"email id {outcome.email_id}, {ids}"
            typer.echo(f"Escalation response sent to {customer.rstrip('.')}. {ids}.")
            if outcome.response_minutes is not None:
                typer.echo(f"Response time logged: {outcome.response_minutes} minutes from escalation.")
            if outcome.sla is not None:
                typer.echo(f"First-response SLA {outcome.sla.state}: {outcome.sla.minutes} minutes "
                           f"{'before' if outcome.sla.state == 'met' else 'after'} the deadline "
                           f"({_when(outcome.sla.first_response_due)}).")
        elif outcome.outcome == "already_sent":
            typer.echo(f"Already sent at {_when(outcome.sent_at)} (email id {outcome.email_id}); nothing was sent again.")
        elif outcome.outcome == "already_sending":
            typer.echo(render("cli/send_in_flight.j2", w=outcome.in_flight, now=utcnow(), utc=UTC).strip())
        elif outcome.outcome == "failed":
            typer.echo(f"Send failed after {outcome.attempts} attempt(s): {outcome.last_error}. The draft is kept; "
                       f"run `escalation send {outcome.response_id}` to try again.", err=True)
        else:
            typer.echo(f"The outcome is unknown ({outcome.last_error}); nothing will be resent until "
                       "`escalation reconcile` has asked the provider.", err=True)
    if outcome.outcome in ("failed", "unknown"):
        raise typer.Exit(1)


@app.command("send")
def send_command(
    response_id: Annotated[str, typer.Argument(help="Response id.")],
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
    response_id: Annotated[str, typer.Argument(help="Response id.")],
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
            raise InvalidRequest("give --body or --body-file, not both")
        if (old is None) != (new is None):
            raise InvalidRequest("--replace and --with go together")
        if body_file is not None:
            try:
                body = body_file.read_text(encoding="utf-8")
            except OSError as err:
                raise InvalidRequest(f"cannot read {body_file}: {err.strerror}") from err
        with opened_store() as store:
            view = revise_response(store, response_id=response_id, actor=Actor.of(as_staff), to=to, subject=subject,
                                   body=body, replace=(old, new) if old is not None and new is not None else None,
                                   policy=_policy(Settings()))
    _show_response(view, as_json=as_json)


@app.command("cc")
def cc_command(
    response_id: Annotated[str, typer.Argument(help="Response id.")],
    action: Annotated[str, typer.Argument(help="add or remove.")],
    who: Annotated[str, typer.Argument(help="Staff name, email, id, or a role: 'my manager', 'support lead', ...")],
    as_staff: AsStaff = None,
    as_json: AsJson = False,
) -> None:
    """Add or remove an internal CC (staff from the directory only)."""
    with guarded(as_json=as_json):
        if action not in ("add", "remove"):
            raise InvalidRequest(f"unknown action '{action}': use add or remove")
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
        typer.echo("No approval requests waiting." if not every else "No approval requests.")
    for approval in approvals:
        typer.echo(_approval_line(approval))


@approvals_app.command("status")
def approvals_status(
    response_id: Annotated[str, typer.Argument(help="Response id.")],
    as_staff: LookAs = None,
    as_json: AsJson = False,
) -> None:
    """Where a response's approval stands."""
    with guarded(as_json=as_json), opened_store() as store:
        status = approval_status_for(store, actor=Actor.of(as_staff), response_id=response_id)
    if as_json:
        print_json(status.model_dump(mode="json"))
    else:
        _show_status(status)


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
        verb = "Approved" if approve else "Rejected"
        typer.echo(f"{verb} {approval_id} (response {status.response_id} for {customer}).")
    if outcome is not None:
        _report_send(outcome, customer, as_json=as_json)


@approvals_app.command("approve")
def approvals_approve(
    approval_id: Annotated[str, typer.Argument(help="Approval id.")],
    as_staff: AsStaff = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Note to the CSM.")] = None,
    as_json: AsJson = False,
) -> None:
    """Approve a pending send; it is sent at once."""
    _decide(approval_id, approve=True, as_staff=as_staff, reason=reason, as_json=as_json)


@approvals_app.command("reject")
def approvals_reject(
    approval_id: Annotated[str, typer.Argument(help="Approval id.")],
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


def _summary_line(item: ResponseSummary) -> str:
    minutes = f", response time {item.response_minutes} min" if item.response_minutes is not None else ""
    sla = f", SLA {item.sla.state} by {item.sla.minutes} min" if item.sla else ""
    approval = f", approval {item.approval_status}" if item.approval_status else ""
    by = f" by {item.decided_by}" if item.decided_by and item.approval_status != "pending" else ""
    error = f", last error: {item.last_error}" if item.last_error and item.status != "sent" else ""
    return (f"{item.id} [{item.status}] {item.customer_name} ({item.severity}) \"{item.subject}\" "
            f"to {', '.join(item.to) or '-'}{approval}{by}, sent {_when(item.sent_at)}{minutes}{sla}{error}")


@app.command("responses")
def responses_command(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer (name or id).")] = None,
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
        typer.echo("No escalation responses.")
    for item in items:
        typer.echo(_summary_line(item))

