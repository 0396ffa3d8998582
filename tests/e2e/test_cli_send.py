"""Step 4 through the real `escalation` CLI on the demo world: review, approval, exactly-once send, tracking, and
what `send` and `reconcile` tell an operator about a send in flight."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.config import Settings
from communicator_escalation.duration_words import duration_text
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.rendering import phrases
from communicator_escalation.store import Store
from communicator_escalation.utc import utcnow
from communicator_escalation.workflow.delivery.approval import submit_for_approval
from communicator_escalation.workflow.delivery.reconcile import in_flight
from communicator_escalation.workflow.delivery.sending import send_response
from tests.support.pausing import PausingMailer, Running, wait

LEASE_MINUTES = 0.05  # 3 s: the smallest lease these settings allow (two 1 s Gmail timeouts and the backoff cap)
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


@pytest.fixture
def run(db_url: str, tmp_path: Path, demo_world_path: Path):  # noqa: ANN201 - a small closure
    env = {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
           "ESCALATION_MAIL_TRANSPORT": "outbox", "OPENAI_API_KEY": None}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    loaded = invoke("load", str(demo_world_path))
    assert loaded.exit_code == 0, loaded.output
    return invoke


def _draft(run, customer: str) -> str:  # noqa: ANN001
    result = run("draft", customer, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["response_id"]


def _outbox(home: Path) -> list[EmailMessage]:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted((home / "outbox").glob("*.eml"))]


def test_dataflow_urgent_send_end_to_end(run, store: Store, tmp_path: Path) -> None:  # noqa: ANN001
    response_id = _draft(run, "DataFlow")

    sent = run("send", response_id, "--urgent")

    assert sent.exit_code == 0, sent.output
    outcome = phrases("delivery/outcome.j2")
    assert outcome.submitted(True) in sent.stdout and "automatically under the expedited approval policy" in sent.stdout
    assert "Elena Ruiz notified" in sent.stdout
    assert f"{outcome.sent('DataFlow Inc.')} Message-ID" in sent.stdout
    [message] = _outbox(tmp_path)
    assert message["To"] == "Michael Torres <michael.torres@dataflow.com>"
    assert message["In-Reply-To"] == "<CAF+mt.4821.1@mail.dataflow.com>"
    assert "<CAF+mt.4821.1@mail.dataflow.com>" in message["References"]
    with store.connection() as conn:
        signal = conn.execute("SELECT * FROM risk_signals WHERE id = 'rs-1001'").fetchone()
        response = conn.execute("SELECT * FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()
    assert signal["response_sent_at"] == response["sent_at"]
    assert signal["response_email_id"] == response["email_id"] == message["Message-ID"]
    minutes = round((signal["response_sent_at"] - signal["detected_at"]).total_seconds() / 60)
    assert response["response_minutes"] == minutes
    assert f"Response time logged: {duration_text(minutes)} from escalation." in sent.stdout
    assert response["sla_at_send"]["state"] == "met"

    again = run("send", response_id, "--urgent")
    assert again.exit_code == 0, again.output
    assert outcome.already_sent("DataFlow Inc.") in again.stdout
    assert len(_outbox(tmp_path)) == 1

    listed = run("responses", "--customer", "dataflow", "--json")
    [item] = json.loads(listed.stdout)
    assert (item["status"], item["approval_status"], item["decided_by"], item["response_minutes"]) == (
        "sent", "approved", "policy:expedited", minutes)
    assert "No approval requests waiting." in run("approvals", "list").stdout


def test_normal_send_needs_the_managers_approval(run, tmp_path: Path) -> None:  # noqa: ANN001
    response_id = _draft(run, "Northwind")

    cc = run("cc", response_id, "add", "my manager")
    assert cc.exit_code == 0, cc.output
    assert "Elena Ruiz <elena.ruiz@cobaltmetrics.com>" in cc.stdout
    outside = run("cc", response_id, "add", "someone@gmail.com")
    assert outside.exit_code == 1
    assert "not in the staff directory" in outside.stderr
    other = run("edit", response_id, "--to", "Michael Torres")
    assert other.exit_code == 1
    assert "contact of DataFlow Inc., not of Northwind Health" in other.stderr

    pending = run("send", response_id)
    assert pending.exit_code == 0, pending.output
    assert "submitted for approval" in pending.stdout
    [approval] = json.loads(run("approvals", "list", "--json").stdout)
    assert approval["approver_name"] == "Elena Ruiz"

    own = run("approvals", "approve", approval["id"])
    assert own.exit_code == 1
    assert "cannot approve their own send" in own.stderr
    lead = run("approvals", "approve", approval["id"], "--as", "u-marcus")
    assert lead.exit_code == 1
    assert "may not decide approvals" in lead.stderr
    assert _outbox(tmp_path) == []

    status = run("approvals", "status", response_id)
    assert "pending" in status.stdout and "#1 in queue" in status.stdout

    approved = run("approvals", "approve", approval["id"], "--as", "u-elena", "--reason", "Good to go")
    assert approved.exit_code == 0, approved.output
    assert "Escalation response sent to Northwind Health." in approved.stdout
    [message] = _outbox(tmp_path)
    assert message["Cc"] == "Elena Ruiz <elena.ruiz@cobaltmetrics.com>"
    assert message["To"] == "Anita Shah <anita.shah@northwindhealth.org>"


def test_edit_then_reconcile_and_errors(run) -> None:  # noqa: ANN001
    response_id = _draft(run, "DataFlow")
    edited = run("edit", response_id, "--subject", "RE: DataFlow Integration Issues - update", "--json")
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout)["subject"] == "RE: DataFlow Integration Issues - update"
    injected = run("edit", response_id, "--subject", "x\nBcc: a@b.example")
    assert injected.exit_code == 1 and "line breaks" in injected.stderr
    assert run("reconcile").stdout.strip() == "Nothing to reconcile."
    missing = run("send", "resp-nope", "--json")
    assert missing.exit_code == 1
    assert json.loads(missing.stderr)["error"]["code"] == "not_found"


def test_send_and_reconcile_tell_about_an_attempt_in_flight(run, store: Store, tmp_path: Path) -> None:  # noqa: ANN001
    response_id = json.loads(run("draft", "DataFlow", "--json").stdout)["response_id"]
    submit_for_approval(store, response_id=response_id, urgent=True)
    stalled = PausingMailer(OutboxMailer(tmp_path / "outbox"), at="before_send")
    settings = Settings(home=tmp_path, gmail_timeout_seconds=1, send_backoff_cap_seconds=0.01,
                        send_lease_minutes=LEASE_MINUTES)
    first = Running(lambda: send_response(store, response_id=response_id, mailer=stalled, settings=settings))
    wait(stalled.reached)

    again = run("send", response_id)
    assert again.exit_code == 0, again.output
    assert re.search(rf"Already being sent: in flight since {STAMP} \(attempt lease-\w+ by u-jordan, process "
                     rf"[^/]+/\d+/.+\), last heartbeat {STAMP}; reclaimable from {STAMP} \(in \d+ s\)\. "
                     r"Nothing was sent again", again.stdout), again.stdout
    early = run("reconcile", "--stale-minutes", "0")
    assert early.exit_code == 0, early.output
    assert re.search(rf"^{response_id}: in flight since {STAMP} .*Not taken over while its lease runs\.$",
                     early.stdout, re.MULTILINE), early.stdout
    assert "Nothing settled." in early.stdout

    [attempt] = in_flight(store)
    time.sleep(max(0.0, (attempt.reclaimable_at - utcnow()).total_seconds()) + 0.2)  # the process stays stalled
    taken = run("reconcile", "--json")
    assert taken.exit_code == 0, taken.output
    report = json.loads(taken.stdout)
    assert report["in_flight"] == []
    [settled] = report["settled"]
    assert (settled["response_id"], settled["before"], settled["after"], settled["reason"]) == (
        response_id, "sending", "failed", "not_delivered")

    resent = run("send", response_id, "--urgent")
    assert resent.exit_code == 0, resent.output
    assert "Escalation response sent to DataFlow Inc." in resent.stdout
    stalled.release.set()
    assert first.result().outcome == "already_sent"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert run("reconcile").stdout.strip() == "Nothing to reconcile."
    assert in_flight(store, now=utcnow() + timedelta(days=1)) == []
