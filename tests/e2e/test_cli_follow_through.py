"""After `escalation send` on the demo world, through the real CLI: clock, plan, brief, updates, insights."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store


@pytest.fixture
def run(db_url: str, tmp_path: Path, demo_world_path: Path):  # noqa: ANN201 - a small closure
    env = {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
           "ESCALATION_MAIL_TRANSPORT": "outbox", "OPENAI_API_KEY": None}

    def invoke(*args: str) -> Result:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result

    invoke("load", str(demo_world_path))
    return invoke


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _sent_dataflow(run) -> dict[str, Any]:  # noqa: ANN001
    response_id = _json(run("draft", "DataFlow", "--json"))["response_id"]
    run("send", response_id, "--urgent")
    return next(r for r in _json(run("responses", "--json")) if r["id"] == response_id)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_send_starts_the_clock_records_the_plan_and_writes_the_brief(run, tmp_path: Path) -> None:  # noqa: ANN001
    sent = _sent_dataflow(run)

    sent_at, due = _when(sent["sent_at"]), _when(sent["next_update_due"])
    assert sent["kind"] == "first" and sent["status"] == "sent"
    # DataFlow's escalation is high severity: updates every 4 hours around the clock (quarter-hour promise)
    assert sent_at + timedelta(hours=4) - timedelta(minutes=15) < due <= sent_at + timedelta(hours=4)
    context = _json(run("context", "rs-1001", "--json"))
    [play] = [p for p in context["save_plays"] if p["source_response_id"] == sent["id"]]
    assert play["risk_signal_id"] == "rs-1001" and play["status"] == "in_progress" and play["action_items"]
    [brief] = (tmp_path / "briefs").glob("*.md")
    assert "rs-1001" in brief.name and "Michael Torres" in brief.read_text(encoding="utf-8")

    assert _json(run("updates", "--json")) == []
    [owed] = _json(run("updates", "--json", "--at", due.isoformat(timespec="seconds").replace("+00:00", "+0000")))
    assert (owed["response_id"], owed["next"], owed["is_due"]) == (sent["id"], "update", True)


def test_update_names_new_ticket_events_on_the_same_thread_and_sends_once(run, store: Store, tmp_path: Path) -> None:  # noqa: ANN001
    sent = _sent_dataflow(run)
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO ticket_events (ticket_id, seq, at, kind, note)"
            " SELECT ticket_id, max(seq) + 1, %s, 'fix_deployed', 'Retries fixed on the sync endpoint'"
            " FROM ticket_events WHERE ticket_id = 'T-4821' GROUP BY ticket_id",
            (_when(sent["sent_at"]) + timedelta(microseconds=1),),  # after the send, before the update is drafted
        )

    update = _json(run("update", sent["id"], "--json"))

    assert update["kind"] == "update" and update["follows_response_id"] == sent["id"]
    assert "A fix was deployed" in update["email"]["body"]
    assert "Retries fixed on the sync endpoint" not in update["email"]["body"]  # event notes stay internal
    assert update["email"]["in_reply_to"] == sent["email_id"] and update["email"]["subject"] == sent["subject"]
    first = run("send", update["response_id"], "--urgent")
    assert "sent to DataFlow" in first.stdout
    assert "Already sent" in run("send", update["response_id"], "--urgent").stdout
    messages = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in (tmp_path / "outbox").glob("*.eml")]
    assert len(messages) == 2
    [reply] = [m for m in messages if m["In-Reply-To"] == sent["email_id"]]
    assert "A fix was deployed" in reply.get_content() and "Retries fixed" not in reply.get_content()


def test_insights_on_the_demo_world_are_consistent_and_count_one_more_send(run) -> None:  # noqa: ANN001
    before = _json(run("insights", "--json"))

    assert set(before) == {"first_response", "approaches", "edit_ratio_by_template"}
    first = before["first_response"]
    assert {"count", "p50_minutes", "p90_minutes", "sla_met_rate", "by_severity"} <= set(first)
    assert first["count"] >= 24 and first["p50_minutes"] <= first["p90_minutes"]
    for group in ("by_severity", "by_type", "by_csm", "by_week"):
        assert sum(g["count"] for g in first[group].values()) == first["count"]
        assert all(g["p50_minutes"] <= g["p90_minutes"] and 0 <= g["sla_met_rate"] <= 1 for g in first[group].values())
    approaches = before["approaches"]
    assert sum(a["count"] for a in approaches) == first["count"]
    for a in approaches:
        assert {"template", "tone", "expedited", "count", "de_escalated_rate", "ci_low", "ci_high"} <= set(a)
        assert a["judged"] <= a["count"]
        if a["judged"]:
            assert 0 <= a["ci_low"] <= a["de_escalated_rate"] <= a["ci_high"] <= 1
        assert a["too_small_to_judge"] == (a["judged"] < 5)
    assert any(a["judged"] for a in approaches)  # the demo history has real outcomes
    assert before["edit_ratio_by_template"] and all(0 <= r <= 1 for r in before["edit_ratio_by_template"].values())

    _sent_dataflow(run)
    after = _json(run("insights", "--json"))

    assert after["first_response"]["count"] == first["count"] + 1
    assert after["first_response"]["by_severity"]["high"]["count"] == first["by_severity"]["high"]["count"] + 1
    assert sum(a["count"] for a in after["approaches"]) == first["count"] + 1
    assert _json(run("insights", "--json", "--customer", "DataFlow"))["first_response"]["count"] < first["count"]
