"""Every door (CLI, HTTP API, the agent's tools, the worker) goes through the same workflow entry per use
case: one draft per escalation whoever opens it, one access rule with one answer for outsiders, one
all-or-nothing edit. Checked by behaviour through each door's real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.cli import app as cli
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.worker import run_worker
from communicator_escalation.workflow.policy import Policy
from tests.support.api_worlds import load_api_world

DRAFT = "/api/customers/{}/escalation-response"
OUTSIDERS = ["v-ewa", "v-piotr"]  # the ticket's support engineer, and another team's CSM


@pytest.fixture
def doors(store: Store, db_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The four doors on one database with the API world (Lucía's team owns Horizonte Logística)."""
    load_api_world(store)
    env: dict[str, str | None] = {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "COLUMNS": "200",
                                  "NO_COLOR": "1", "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None,
                                  "ESCALATION_POLICY_FILE": None}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env)

    def tool(actor: str | None, name: ToolName) -> Callable[[dict[str, Any]], dict[str, Any]]:
        skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), actor=actor)
        [found] = [t for t in skill.tools if t.name == name.value]
        return lambda args: json.loads(found.invoke(args))

    tokens: dict[str, str] = {}

    def bearer(staff_id: str) -> dict[str, str]:
        if staff_id not in tokens:
            tokens[staff_id] = create_token(store, staff_id=staff_id).token
        return {"Authorization": f"Bearer {tokens[staff_id]}"}

    settings = Settings(home=tmp_path, database_url=store.url)
    with TestClient(create_app(store, settings)) as client:
        yield {"run": run, "tool": tool, "api": client, "bearer": bearer, "store": store}


def _responses(store: Store, signal_id: str) -> list[str]:
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM escalation_responses WHERE risk_signal_id = %s ORDER BY created_at", (signal_id,)
        ).fetchall()
    return [row["id"] for row in rows]


def _cli_error(result: Result) -> dict[str, Any]:
    assert result.exit_code == 1, result.output
    return json.loads(result.stderr)["error"]


def test_every_door_opens_the_one_draft_of_an_escalation(doors: dict[str, Any]) -> None:
    run, tool, api, bearer, store = doors["run"], doors["tool"], doors["api"], doors["bearer"], doors["store"]
    report = run_worker(store, policy=Policy(), once=True)
    [predraft] = [o.response_id for o in report.outcomes if o.signal_id == "sig-h1"]
    draft_tool = tool("v-lucia", ToolName.DRAFT_RESPONSE)

    def opened_by_every_door() -> set[str]:
        cli_scoped = json.loads(run("draft", "Horizonte", "--as", "v-lucia", "--json").stdout)["response_id"]
        cli_operator = json.loads(run("draft", "k-horizonte", "--json").stdout)["response_id"]
        served = api.post(DRAFT.format("k-horizonte"), headers=bearer("v-lucia"))
        assert served.status_code == 200, served.text
        agent = draft_tool({"customer": "Horizonte Logística"})["response_id"]
        return {cli_scoped, cli_operator, served.json()["response_id"], agent}

    assert opened_by_every_door() == {predraft}
    assert _responses(store, "sig-h1") == [predraft]

    renewed = json.loads(run("draft", "Horizonte", "--new", "--json").stdout)["response_id"]
    assert renewed != predraft
    assert opened_by_every_door() == {renewed}  # the newest draft is the one every door opens

    fresh = api.post(DRAFT.format("k-horizonte"), headers=bearer("v-lucia"), json={"new": True})
    assert fresh.status_code == 201
    guided = json.loads(run("draft", "Horizonte", "--instructions", "Keep it short.", "--json").stdout)
    assert len({predraft, renewed, fresh.json()["response_id"], guided["response_id"]}) == 4
    assert _responses(store, "sig-h1") == [predraft, renewed, fresh.json()["response_id"], guided["response_id"]]
    assert run_worker(store, policy=Policy(), once=True).count("drafted") == 0


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_an_outsider_gets_the_same_no_customer_matches_from_every_door(doors: dict[str, Any], outsider: str) -> None:
    run, tool, api, bearer, store = doors["run"], doors["tool"], doors["api"], doors["bearer"], doors["store"]
    answers = {
        "cli draft": _cli_error(run("draft", "Horizonte", "--as", outsider, "--json")),
        "cli context": _cli_error(run("context", "--customer", "Horizonte", "--as", outsider, "--json")),
        "api draft": api.post(DRAFT.format("Horizonte"), headers=bearer(outsider)).json()["error"],
        "agent draft": tool(outsider, ToolName.DRAFT_RESPONSE)({"customer": "Horizonte"})["error"],
        "agent context": tool(outsider, ToolName.GATHER_CONTEXT)({"customer": "Horizonte"})["error"],
    }
    for door, error in answers.items():
        assert (error["code"], error["message"]) == ("customer_not_found", "no customer matches 'Horizonte'"), door
        assert "Horizonte Logística" not in json.dumps(error), door
    # The same question for a customer that does not exist gets the same answer.
    assert _cli_error(run("draft", "Nowhere", "--as", outsider, "--json"))["message"] == "no customer matches 'Nowhere'"
    assert api.post(DRAFT.format("Horizonte"), headers=bearer(outsider)).status_code == 404
    assert _responses(store, "sig-h1") == []


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_an_outsider_cannot_reach_a_response_through_any_door(doors: dict[str, Any], outsider: str) -> None:
    run, tool, api, bearer, store = doors["run"], doors["tool"], doors["api"], doors["bearer"], doors["store"]
    response_id = json.loads(run("draft", "Horizonte", "--json").stdout)["response_id"]
    missing = f"no escalation response '{response_id}'"
    answers = {
        "cli edit": _cli_error(run("edit", response_id, "--subject", "x", "--as", outsider, "--json")),
        "cli send": _cli_error(run("send", response_id, "--urgent", "--as", outsider, "--json")),
        "cli status": _cli_error(run("approvals", "status", response_id, "--as", outsider, "--json")),
        "api show": api.get(f"/api/escalation-responses/{response_id}", headers=bearer(outsider)).json()["error"],
        "api edit": api.patch(f"/api/escalation-responses/{response_id}", headers=bearer(outsider),
                              json={"subject": "x"}).json()["error"],
        "api send": api.post(f"/api/escalation-responses/{response_id}/send", headers=bearer(outsider),
                             json={"urgent": True}).json()["error"],
        "agent show": tool(outsider, ToolName.SHOW_DRAFT)({"response_id": response_id})["error"],
        "agent edit": tool(outsider, ToolName.EDIT_DRAFT)({"response_id": response_id, "subject": "x"})["error"],
        "agent send": tool(outsider, ToolName.SEND_RESPONSE)({"response_id": response_id, "urgent": True})["error"],
    }
    for door, error in answers.items():
        assert (error["code"], error["message"]) == ("not_found", missing), door
    with store.connection() as conn:
        row = conn.execute("SELECT status, subject FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()
    assert row["status"] == "drafted" and row["subject"] != "x"


def test_an_edit_is_to_then_text_and_all_or_nothing_at_every_door(doors: dict[str, Any]) -> None:
    run, api, bearer, store = doors["run"], doors["api"], doors["bearer"], doors["store"]
    response_id = json.loads(run("draft", "Horizonte", "--json").stdout)["response_id"]
    url = f"/api/escalation-responses/{response_id}"

    refused_cli = run("edit", response_id, "--to", "Jorge Soler", "--subject", "Update\nBcc: x@evil.example", "--json")
    assert _cli_error(refused_cli)["code"] == "invalid_request"
    refused_api = api.patch(url, headers=bearer("v-lucia"), json={"to": "Jorge Soler", "subject": "Update\r\nBcc: x"})
    assert refused_api.status_code == 422
    agent_edit = doors["tool"]("v-lucia", ToolName.EDIT_DRAFT)
    refused_tool = agent_edit({"response_id": response_id, "to": "Jorge Soler", "replace": "no such words", "with_text": "x"})
    assert refused_tool["error"]["code"] == "refused"
    with store.connection() as conn:
        to = conn.execute("SELECT to_addrs FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()["to_addrs"]
        actions = [r["action"] for r in conn.execute(
            "SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id", (response_id,))]
    assert to == ["carmen.vidal@horizonte.example"] and actions == ["drafted"]  # nothing half-written

    edited = api.patch(url, headers=bearer("v-lucia"), json={"to": "Jorge Soler", "subject": "Export update"})
    assert edited.status_code == 200, edited.text
    assert [r["email"] for r in edited.json()["to"]] == ["jorge.soler@horizonte.example"]
    via_cli = json.loads(run("edit", response_id, "--to", "Carmen Vidal", "--subject", "Export status", "--json").stdout)
    assert [r["email"] for r in via_cli["to"]] == ["carmen.vidal@horizonte.example"]
    assert via_cli["subject"] == "Export status"
    via_tool = agent_edit({"response_id": response_id, "to": "Jorge Soler", "subject": "Export status, update"})
    assert via_tool["to"]["email"] == "jorge.soler@horizonte.example" and set(via_tool["changed"]) >= {"to", "subject"}
    with store.connection() as conn:
        actions = [r["action"] for r in conn.execute(
            "SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id", (response_id,))]
    assert actions == ["drafted", *["recipient_changed", "edited"] * 3]
