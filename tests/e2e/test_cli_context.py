"""`escalation context` through the real Typer app: human view, --json, and clean errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.cli import app
from communicator_escalation.duration_words import duration_text
from communicator_escalation.models import EscalationContext
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from tests.support.step1_worlds import NOW, nordlicht_world


def _run(db_url: str, *args: str) -> Result:
    env = {"ESCALATION_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}
    return CliRunner().invoke(app, ["context", *args], env=env)


@pytest.fixture
def demo_url(store: Store, db_url: str, demo_world_path: Path) -> str:
    load_world(store, demo_world_path)  # shifted to now, as `escalation load` does
    return db_url


def _open_for(world_path: Path, ticket_id: str) -> str:
    """How long the world's ticket has been open at the world's `as_of` (the loader shifts both alike)."""
    world = json.loads(world_path.read_text())
    opened = next(t["opened_at"] for t in world["tickets"] if t["id"] == ticket_id)
    hours = (datetime.fromisoformat(world["as_of"]) - datetime.fromisoformat(opened)).total_seconds() / 3600
    return duration_text(hours, "hours")


def test_dataflow_human_view(demo_url: str, demo_world_path: Path) -> None:
    result = _run(demo_url, "--customer", "dataflow")
    assert result.exit_code == 0, result.output
    out = result.stdout
    expected_lines = (
        "DataFlow Inc.", "$340,000", "62 ▼ declining", "Michael Torres, CTO <michael.torres@dataflow.com>",
        "T-4821", "engineering_escalated", "workaround_identified", f"Open for     {_open_for(demo_world_path, 'T-4821')}",
        "<CAF+mt.4821.1@mail.dataflow.com>", "Jordan Patel", "Elena Ruiz", "Related signal",
    )
    for expected in expected_lines:
        assert expected in out, expected
    assert result.stderr == ""


def test_brightpath_lists_the_other_open_escalation(demo_url: str) -> None:
    result = _run(demo_url, "--customer", "bright path")
    assert result.exit_code == 0, result.output
    assert "rs-1003 (open)" in result.stdout
    assert "Other open escalation  rs-1004 (low)" in result.stdout
    assert "no email on the signal" in result.stdout


def test_json_is_the_escalation_context(store: Store, demo_url: str) -> None:
    result = _run(demo_url, "rs-1001", "--json")
    assert result.exit_code == 0, result.output
    printed = EscalationContext.model_validate_json(result.stdout)
    direct = gather_context(store, actor=ACCOUNT_CSM, signal_id="rs-1001", now=printed.gathered_at)
    assert printed == direct


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--customer", "Quillon Labs"], "no_open_escalation", "Quillon Labs has no open escalation"),
        (["rs-9999"], "not_found", "risk signal 'rs-9999' not found"),
        (["rs-0950"], "not_an_escalation", "not an escalation"),
        (["--customer", "Globex"], "customer_not_found", "no customer matches 'Globex'"),
        ([], "invalid_request", "exactly one"),
        (["rs-1001", "--customer", "dataflow"], "invalid_request", "exactly one"),
    ],
)
def test_errors_one_line_and_json(demo_url: str, args: list[str], code: str, needle: str) -> None:
    plain = _run(demo_url, *args)
    assert plain.exit_code == 1 and plain.stdout == ""
    assert plain.stderr.count("\n") == 1 and plain.stderr.startswith("error: ") and needle in plain.stderr
    as_json = _run(demo_url, *args, "--json")
    assert as_json.exit_code == 1 and as_json.stdout == ""
    body = json.loads(as_json.stderr)
    assert body["error"]["code"] == code and needle in body["error"]["message"]
    assert set(body["error"]) == {"code", "message", "candidates"}


def test_ambiguous_customer_lists_candidates(store: Store, db_url: str) -> None:
    load_world(store, nordlicht_world(), now=NOW)
    result = _run(db_url, "--customer", "acme", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"] == {
        "code": "ambiguous_customer",
        "message": "'acme' matches 2 customers: Acme Corp, Acme Labs; say which one",
        "candidates": ["Acme Corp", "Acme Labs"],
    }
    plain = _run(db_url, "--customer", "acme")
    assert "did you mean: Acme Corp, Acme Labs" in plain.stderr


def test_unicode_customer_renders(store: Store, db_url: str) -> None:
    load_world(store, nordlicht_world(), now=NOW)
    result = _run(db_url, "--customer", "müller und söhne")
    assert result.exit_code == 0, result.output
    assert "Müller & Söhne GmbH" in result.stdout and "Jürgen Röß, Geschäftsführer" in result.stdout
    assert "[urgent, escalated]" in result.stdout  # data in brackets is not read as Rich markup


@pytest.mark.slow
def test_database_down_is_an_error_not_a_traceback() -> None:
    result = CliRunner().invoke(
        app, ["context", "rs-1001", "--json"], env={"ESCALATION_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert json.loads(result.stderr.strip().splitlines()[-1])["error"]["code"] == "database_unavailable"
