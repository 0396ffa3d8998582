"""`escalation draft` through the real Typer app: Rich card, Draft JSON, saved row, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.openai_server import OpenAIServer


def _run(db_url: str, *args: str, **env: str | None) -> Result:
    base: dict[str, str | None] = {"ESCALATION_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1",
                                   "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "ESCALATION_POLICY_FILE": None}
    return CliRunner().invoke(app, ["draft", *args], env={**base, **env})


@pytest.fixture
def demo_url(store: Store, db_url: str, demo_world_path: Path) -> str:
    load_world(store, demo_world_path)  # shifted to now, as `escalation load` does
    return db_url


def test_dataflow_json_is_the_prd_draft(store: Store, demo_url: str) -> None:
    result = _run(demo_url, "DataFlow", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    email = data["email"]
    assert email["to"] == ["michael.torres@dataflow.com"] and email["cc"] == []
    assert email["subject"] == "RE: DataFlow Integration Issues"
    assert email["in_reply_to"] == "<CAF+mt.4821.1@mail.dataflow.com>" and email["thread_id"] == "thr-dataflow-4821"
    for needle in ("Dear Michael,", "Sarah Chen (direct line: +1 415 555 0199)", "Interim workaround identified",
                   "update every 4 hours", "Jordan Patel\nCustomer Success Manager, Cobalt Metrics\n+1 415 555 0142"):
        assert needle in email["body"], needle
    for step in data["timeline"]:
        assert step["due_text"] in email["body"]
    assert data["customer"] == {"id": "c-dataflow", "name": "DataFlow Inc."}
    assert data["escalation"]["reported_by"] == {"name": "Michael Torres", "title": "CTO",
                                                 "email": "michael.torres@dataflow.com"}
    assert data["strategy"]["sla"]["update_every_hours"] == 4
    assert data["strategy"]["sla"]["first_response_due"].endswith(("Z", "+00:00"))
    assert [c["label"] for c in data["suggested_ccs"]] == ["Your manager", "Support Lead", "Account Executive"]
    assert data["generated_by"] == "template"
    with store.connection() as conn:
        row = conn.execute("SELECT status, draft FROM escalation_responses WHERE id = %s",
                           (data["response_id"],)).fetchone()
    assert row == {"status": "drafted", "draft": data}


def test_human_card_shows_headers_body_ccs_and_notes(demo_url: str) -> None:
    result = _run(demo_url, "brightpath")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("Escalation response draft resp-", "rs-1003", "critical · service", "james.whitfield@brightpath.com",
                   "none (suggestions below)", "Dear James,", "Executive Sponsor", "David Okafor",
                   "Other open escalations", "rs-1004", "Review notes", "first response", "late"):
        assert needle in out, needle
    assert result.stderr == ""


def test_signal_option_picks_the_other_escalation(demo_url: str) -> None:
    result = _run(demo_url, "Brightpath", "--signal", "rs-1004", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["escalation"]["risk_signal_id"] == "rs-1004"
    only_signal = _run(demo_url, "--signal", "rs-1004", "--json")
    assert json.loads(only_signal.stdout)["email"]["to"] == ["lucia.gomez@brightpath.com"]


def test_llm_rewrite_through_the_cli_environment(demo_url: str) -> None:
    with OpenAIServer() as server:
        server.reply_text("not json at all")
        result = _run(demo_url, "DataFlow", "--json", "--instructions", "Warmer, please",
                      OPENAI_API_KEY="test-key", OPENAI_BASE_URL=server.base_url)
        assert result.exit_code == 0, result.output
        assert "<csm_guidance>\nWarmer, please\n</csm_guidance>" in server.requests[0].text
    data = json.loads(result.stdout)
    assert data["generated_by"] == "template"
    assert any(n["text"].startswith("LLM rewrite discarded") for n in data["review_notes"])


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["Quillon Labs"], "no_open_escalation", "Quillon Labs has no open escalation"),
        (["Nobody Corp"], "customer_not_found", "no customer matches"),
        (["--signal", "rs-9999"], "not_found", "rs-9999"),
        (["DataFlow", "--signal", "rs-1003"], "not_found", "belongs to Brightpath Retail"),
        ([], "invalid_request", "give a CUSTOMER or --signal ID"),
    ],
)
def test_errors_are_clean_with_and_without_json(demo_url: str, args: list[str], code: str, needle: str) -> None:
    plain = _run(demo_url, *args)
    assert plain.exit_code == 1 and plain.stdout == ""
    assert plain.stderr.startswith("error: ") and needle in plain.stderr and "Traceback" not in plain.stderr
    as_json = _run(demo_url, *args, "--json")
    assert as_json.exit_code == 1
    error = json.loads(as_json.stderr)["error"]
    assert error["code"] == code and needle in error["message"]


def test_ambiguous_customer_lists_candidates(store: Store, db_url: str) -> None:
    world = json.loads(Path(__file__).resolve().parents[2].joinpath(
        "communicator_escalation", "worlds", "demo-world.json").read_text())
    world["customers"].append({**world["customers"][0], "id": "c-dataflow-2", "name": "DataFlow Labs"})
    load_world(store, world)
    result = _run(db_url, "DataFlow", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "ambiguous_customer" and len(error["candidates"]) >= 2
