"""`escalation inbox` through the real Typer app on the demo world."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world


def _inbox(db_url: str, *args: str) -> Result:
    env: dict[str, str | None] = {"ESCALATION_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1",
                                  "OPENAI_API_KEY": None, "ESCALATION_POLICY_FILE": None}
    return CliRunner().invoke(app, ["inbox", *args], env=env)


def test_inbox_json_lists_the_actors_open_escalations(store: Store, db_url: str, demo_world_path: Path) -> None:
    load_world(store, demo_world_path)
    world: dict[str, Any] = json.loads(demo_world_path.read_text())
    result = _inbox(db_url, "--as", "u-jordan", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    jordans = {c["id"]: c["name"] for c in world["customers"] if c["csm_id"] == "u-jordan"}
    expected = {s["id"] for s in world["risk_signals"]
                if s["customer_id"] in jordans and s["status"] == "open" and s["signal_type"] != "health_score_drop"}
    assert {i["signal_id"] for i in items} == expected
    for item in items:
        signal = next(s for s in world["risk_signals"] if s["id"] == item["signal_id"])
        assert item["customer"] == jordans[signal["customer_id"]] and item["severity"] == signal["severity"]
        assert isinstance(item["minutes_to_first_response_due"], int) and item["answered"] is False
    dues = [i["first_response_due"] for i in items]
    assert dues == sorted(dues)


def test_inbox_text_severity_filter_and_errors(store: Store, db_url: str, demo_world_path: Path) -> None:
    load_world(store, demo_world_path)
    world: dict[str, Any] = json.loads(demo_world_path.read_text())
    critical = [s for s in world["risk_signals"] if s["severity"] == "critical" and s["status"] == "open"]
    result = _inbox(db_url, "--severity", "critical")
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")] == [s["id"] for s in critical]
    assert "overdue by" in result.stdout or "due in" in result.stdout
    assert _inbox(db_url, "--scope", "everything").exit_code == 2
    unknown = _inbox(db_url, "--as", "nobody", "--json")
    assert unknown.exit_code == 1 and json.loads(unknown.stderr)["error"]["code"] == "not_found"
