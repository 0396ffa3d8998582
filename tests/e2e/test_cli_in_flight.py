"""Operators see a send in flight: `escalation send` and `escalation reconcile` say since when, by whom, and
when it becomes reclaimable; once its lease expired, reconcile takes it over and the response is sent once."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.responses import utcnow
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

    assert invoke("load", str(demo_world_path)).exit_code == 0
    return invoke


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
