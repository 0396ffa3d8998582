"""The send gate through the real `escalation` CLI: a draft with an unfilled placeholder is refused
(non-zero exit, code `unconfirmed_placeholder`, nothing queued, nothing in the outbox) and sends once edited."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from tests.support.trust_world import world


def test_send_refuses_a_placeholder_until_the_edit_fills_it(db_url: str, store: Store, tmp_path: Path) -> None:
    env = {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
           "ESCALATION_MAIL_TRANSPORT": "outbox", "OPENAI_API_KEY": None}

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    # Escalated four days ago and still open: the 72-hour resolution target has passed, so the
    # timeline cannot be dated by the SLA and the draft leaves the dates to the CSM.
    stale = world(datetime.now(UTC), detected_minutes_ago=4 * 24 * 60)
    (tmp_path / "world.json").write_text(json.dumps(stale), encoding="utf-8")
    assert run("load", str(tmp_path / "world.json")).exit_code == 0
    drafted = run("draft", "Aurora", "--json")
    assert drafted.exit_code == 0, drafted.output
    draft = json.loads(drafted.stdout)
    assert "[confirm: date]" in draft["email"]["body"]
    assert any(n["kind"] == "blocking" and n["code"] == "unconfirmed_placeholder" for n in draft["review_notes"])

    refused = run("send", draft["response_id"], "--urgent", "--json")
    assert refused.exit_code != 0
    error = json.loads(refused.stderr)["error"]
    assert error["code"] == "unconfirmed_placeholder"
    assert {n["code"] for n in error["notes"]} == {"unconfirmed_placeholder"}
    plain = run("send", draft["response_id"], "--urgent")
    assert plain.exit_code != 0 and "[confirm: date]" in plain.stderr and "Traceback" not in plain.stderr
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM approval_requests").fetchone()["n"] == 0
        assert conn.execute("SELECT status FROM escalation_responses").fetchone()["status"] == "drafted"
    assert not list((tmp_path / "outbox").glob("*.eml"))

    friday = (datetime.now(UTC) + timedelta(days=7)).strftime("%A, %B %-d")
    for placeholder in sorted(set(re.findall(r"\[confirm:[^\]]*\]", draft["email"]["body"]))):
        edited = run("edit", draft["response_id"], "--replace", placeholder, "--with", f"{friday} by 5:00 PM CST")
        assert edited.exit_code == 0, edited.output
    reopened = json.loads(run("draft", "Aurora", "--json").stdout)  # the stored draft, its notes on the edited text
    assert reopened["response_id"] == draft["response_id"]
    assert not [n for n in reopened["review_notes"] if n["kind"] == "blocking"]
    sent = run("send", draft["response_id"], "--urgent")
    assert sent.exit_code == 0, sent.output
    assert "Escalation response sent to Aurora Freight LLC" in sent.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
