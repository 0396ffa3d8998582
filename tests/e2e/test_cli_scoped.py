"""`escalation draft --as` and `escalation responses --as` through the real Typer app on a two-team
world: names resolve only among the customers the staff member may reach, a customer of another team
is answered exactly like one that does not exist, and the draft is recorded as made by that person."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.api_worlds import api_world


def _two_team_world() -> dict[str, Any]:
    """The API world (Lucía: Horizonte Logística; Piotr: Baltyk Foods) plus "Horizonte Transportes" on
    Piotr's team with an open escalation, so "horizonte" means a different customer to each CSM."""
    now = datetime.now(timezone.utc)
    world = api_world(now)
    world["customers"].append(
        {"id": "k-horizonte-t", "name": "Horizonte Transportes", "domain": "hztransportes.example", "arr": 90000,
         "tier": "mid_market", "health_score": 66, "timezone": "America/Bogota", "csm_id": "v-piotr"}
    )
    world["contacts"].append(
        {"id": "p-diego", "customer_id": "k-horizonte-t", "name": "Diego Rojas", "title": "COO",
         "email": "diego.rojas@hztransportes.example"}
    )
    world["risk_signals"].append(
        {"id": "sig-t1", "customer_id": "k-horizonte-t", "signal_type": "executive_complaint", "severity": "high",
         "source": "direct_complaint", "escalation_type": "service", "title": "Missed quarterly review",
         "detected_at": (now - timedelta(hours=2)).isoformat(), "status": "open", "reported_by_contact_id": "p-diego"}
    )
    return world


@pytest.fixture
def run(store: Store, db_url: str):  # noqa: ANN201 - a small closure
    load_world(store, _two_team_world())
    env: dict[str, str | None] = {"ESCALATION_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1",
                                  "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "ESCALATION_POLICY_FILE": None}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    return invoke


def _responses(store: Store) -> list[dict[str, Any]]:
    with store.connection() as conn:
        return conn.execute("SELECT id, customer_id, risk_signal_id, created_by FROM escalation_responses").fetchall()


def test_draft_as_staff_resolves_among_their_customers_and_records_them(run, store: Store) -> None:  # noqa: ANN001
    assert run("draft", "horizonte", "--json").exit_code == 1  # unscoped: two Horizontes

    piotr = run("draft", "horizonte", "--as", "v-piotr", "--json")
    lucia = run("draft", "horizonte", "--as", "v-lucia", "--json")

    assert piotr.exit_code == 0, piotr.output
    assert lucia.exit_code == 0, lucia.output
    mine, theirs = json.loads(piotr.stdout), json.loads(lucia.stdout)
    assert (mine["customer"]["id"], mine["escalation"]["risk_signal_id"]) == ("k-horizonte-t", "sig-t1")
    assert (theirs["customer"]["id"], theirs["escalation"]["risk_signal_id"]) == ("k-horizonte", "sig-h1")
    assert mine["email"]["to"] == ["diego.rojas@hztransportes.example"]
    rows = {row["id"]: row for row in _responses(store)}
    assert rows[mine["response_id"]]["created_by"] == "v-piotr"
    assert rows[theirs["response_id"]]["created_by"] == "v-lucia"
    with store.connection() as conn:
        audit = conn.execute("SELECT actor FROM audit_log WHERE entity_id = %s AND action = 'drafted'",
                             (mine["response_id"],)).fetchone()
    assert audit == {"actor": "v-piotr"}


def test_draft_as_staff_without_as_is_drafted_by_the_csm(run, store: Store) -> None:  # noqa: ANN001
    result = run("draft", "Baltyk", "--json")
    assert result.exit_code == 0, result.output
    [row] = _responses(store)
    assert (row["customer_id"], row["created_by"]) == ("k-baltyk", "v-piotr")


def test_another_teams_customer_is_answered_like_a_missing_one(run, store: Store) -> None:  # noqa: ANN001
    hidden = run("draft", "Baltyk Foods", "--as", "v-lucia")
    missing = run("draft", "Nowhere Foods", "--as", "v-lucia")
    assert hidden.exit_code == missing.exit_code == 1
    assert hidden.stderr == "error: no customer matches 'Baltyk Foods'\n"
    assert missing.stderr == "error: no customer matches 'Nowhere Foods'\n"
    hidden_json = json.loads(run("draft", "Baltyk Foods", "--as", "v-lucia", "--json").stderr)["error"]
    missing_json = json.loads(run("draft", "Nowhere Foods", "--as", "v-lucia", "--json").stderr)["error"]
    assert hidden_json["code"] == missing_json["code"] == "customer_not_found" and hidden_json["candidates"] == []
    assert "Baltyk" not in run("draft", "Baltik", "--as", "v-lucia").stderr  # a near miss suggests nothing of theirs
    assert _responses(store) == []


def test_draft_signal_of_another_team_is_a_missing_signal(run, store: Store) -> None:  # noqa: ANN001
    hidden = run("draft", "--signal", "sig-b1", "--as", "v-lucia")
    missing = run("draft", "--signal", "sig-zz", "--as", "v-lucia")
    assert hidden.exit_code == missing.exit_code == 1
    assert hidden.stderr == missing.stderr.replace("sig-zz", "sig-b1")
    assert run("draft", "Baltyk", "--signal", "sig-b1", "--as", "v-lucia").stderr.startswith(
        "error: no customer matches 'Baltyk'"
    )
    assert _responses(store) == []
    mine = run("draft", "Baltyk", "--signal", "sig-b1", "--as", "v-piotr", "--json")
    assert mine.exit_code == 0, mine.output
    assert json.loads(mine.stdout)["escalation"]["risk_signal_id"] == "sig-b1"


def test_executive_reaches_every_customer_and_unknown_staff_is_refused(run) -> None:  # noqa: ANN001
    olga = run("draft", "horizonte", "--as", "v-olga", "--json")
    assert olga.exit_code == 1
    assert json.loads(olga.stderr)["error"]["candidates"] == ["Horizonte Logística", "Horizonte Transportes"]
    assert run("draft", "Baltyk", "--as", "v-olga").exit_code == 0
    nobody = run("draft", "horizonte", "--as", "v-nobody")
    assert nobody.exit_code == 1 and "no staff member 'v-nobody'" in nobody.stderr


def test_responses_as_staff_lists_and_resolves_among_their_customers(run) -> None:  # noqa: ANN001
    for customer, actor in (("horizonte", "v-lucia"), ("horizonte", "v-piotr"), ("Baltyk", "v-piotr")):
        assert run("draft", customer, "--as", actor).exit_code == 0

    def listed(*args: str) -> list[str]:
        result = run("responses", *args, "--json")
        assert result.exit_code == 0, result.output
        return sorted(item["customer_id"] for item in json.loads(result.stdout))

    assert listed() == ["k-baltyk", "k-horizonte", "k-horizonte-t"]
    assert listed("--as", "v-lucia") == ["k-horizonte"]
    assert listed("--as", "v-piotr") == ["k-baltyk", "k-horizonte-t"]
    assert listed("--customer", "horizonte", "--as", "v-piotr") == ["k-horizonte-t"]
    assert listed("--customer", "horizonte", "--as", "v-lucia") == ["k-horizonte"]
    assert listed("--as", "v-olga") == ["k-baltyk", "k-horizonte", "k-horizonte-t"]

    unscoped = run("responses", "--customer", "horizonte")
    assert unscoped.exit_code == 1 and "matches 2 customers" in unscoped.stderr
    hidden = run("responses", "--customer", "Baltyk Foods", "--as", "v-lucia")
    missing = run("responses", "--customer", "Nowhere Foods", "--as", "v-lucia")
    assert hidden.exit_code == missing.exit_code == 1
    assert hidden.stderr == missing.stderr.replace("Nowhere", "Baltyk")
    human = run("responses", "--as", "v-lucia")
    assert "Horizonte Logística" in human.stdout and "Baltyk" not in human.stdout
