"""HTTP API authentication and authorization: tokens from the CLI, 401s, 404 for other teams, approvers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token, hash_token, revoke_token
from communicator_escalation.cli import app as cli
from communicator_escalation.config import Settings
from communicator_escalation.store import Store
from tests.support.api_worlds import load_api_world

DRAFT = "/api/customers/{}/escalation-response"
CONTEXT = "/api/risk-signals/{}/context"


@pytest.fixture
def client(store: Store, tmp_path) -> Iterator[TestClient]:
    load_api_world(store)
    settings = Settings(home=tmp_path, database_url=store.url)
    with TestClient(create_app(store, settings)) as test_client:
        yield test_client


def bearer(store: Store, staff_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(store, staff_id=staff_id).token}"}


def test_token_cli_prints_the_token_alone_on_its_last_line_and_stores_only_its_hash(
    store: Store, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATION_DATABASE_URL", store.url)
    result = CliRunner().invoke(cli, ["token", "create", "--staff", "v-lucia", "--label", "laptop"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("esc_") and " " not in token
    with store.connection() as conn:
        rows = conn.execute("SELECT token_hash, staff_id, label FROM api_tokens").fetchall()
    assert rows == [{"token_hash": hash_token(token), "staff_id": "v-lucia", "label": "laptop"}]
    assert token not in str(rows)

    ok = client.get(CONTEXT.format("sig-h1"), headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert ok.json()["customer"]["name"] == "Horizonte Logística"

    revoked = CliRunner().invoke(cli, ["token", "revoke", token])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(CONTEXT.format("sig-h1"), headers={"Authorization": f"Bearer {token}"}).status_code == 401

    listed = CliRunner().invoke(cli, ["token", "list", "--json"])
    assert listed.exit_code == 0 and token not in listed.output and '"revoked_at": null' not in listed.output


def test_token_for_unknown_staff_is_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATION_DATABASE_URL", store.url)
    load_api_world(store)
    result = CliRunner().invoke(cli, ["token", "create", "--staff", "v-nobody"])
    assert result.exit_code == 1
    assert "v-nobody" in result.output


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", CONTEXT.format("sig-h1")),
        ("post", DRAFT.format("k-horizonte")),
        ("get", "/api/escalation-responses/r-1"),
        ("get", "/api/approvals"),
        ("post", "/api/approvals/a-1/approve"),
        ("post", "/api/chat"),
    ],
)
def test_every_api_route_needs_a_token(client: TestClient, store: Store, method: str, path: str) -> None:
    missing = getattr(client, method)(path)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")

    wrong = getattr(client, method)(path, headers={"Authorization": "Bearer esc_not-a-real-token"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]

    basic = getattr(client, method)(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def test_revoked_token_is_401(client: TestClient, store: Store) -> None:
    issued = create_token(store, staff_id="v-lucia")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get(CONTEXT.format("sig-h1"), headers=headers).status_code == 200
    revoke_token(store, token_or_id=issued.id)
    assert client.get(CONTEXT.format("sig-h1"), headers=headers).status_code == 401


def test_docs_stay_public(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("staff_id", ["v-lucia", "v-marek", "v-tomasz", "v-ines", "v-olga"])
def test_the_account_team_and_executives_reach_the_customer(client: TestClient, store: Store, staff_id: str) -> None:
    response = client.get(CONTEXT.format("sig-h1"), headers=bearer(store, staff_id))
    assert response.status_code == 200, response.text
    assert response.json()["escalation"]["id"] == "sig-h1"


@pytest.mark.parametrize("staff_id", ["v-piotr", "v-zofia", "v-ewa"])
def test_anyone_else_gets_the_same_404_as_a_missing_id(client: TestClient, store: Store, staff_id: str) -> None:
    headers = bearer(store, staff_id)
    hidden = client.get(CONTEXT.format("sig-h1"), headers=headers)
    missing = client.get(CONTEXT.format("sig-nope"), headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert "Horizonte" not in hidden.text

    hidden_customer = client.post(DRAFT.format("k-horizonte"), headers=headers)
    missing_customer = client.post(DRAFT.format("k-nope"), headers=headers)
    assert hidden_customer.status_code == missing_customer.status_code == 404
    assert hidden_customer.json()["error"]["candidates"] == missing_customer.json()["error"]["candidates"] == []


def test_prd_endpoints_with_a_token(client: TestClient, store: Store) -> None:
    headers = bearer(store, "v-lucia")
    context = client.get(CONTEXT.format("sig-h1"), headers=headers)
    assert context.status_code == 200
    assert context.json()["reporter"]["name"] == "Carmen Vidal"

    created = client.post(DRAFT.format("k-horizonte"), headers=headers)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["response_id"]
    assert draft["customer"] == {"id": "k-horizonte", "name": "Horizonte Logística"}
    assert draft["escalation"]["risk_signal_id"] == "sig-h1"
    assert draft["email"]["to"] == ["carmen.vidal@horizonte.example"]
    assert draft["email"]["cc"] == []
    assert draft["strategy"]["sla"]["first_response_due"]

    again = client.post(DRAFT.format("k-horizonte"), headers=headers)
    assert again.status_code == 200
    assert again.json()["response_id"] == draft["response_id"]

    fresh = client.post(DRAFT.format("k-horizonte"), headers=headers,
                        json={"signal_id": "sig-h1", "instructions": "Mention the nightly export window."})
    assert fresh.status_code == 201
    assert fresh.json()["response_id"] != draft["response_id"]


def test_a_signal_of_another_customer_in_the_body_is_404(client: TestClient, store: Store) -> None:
    response = client.post(DRAFT.format("k-horizonte"), headers=bearer(store, "v-olga"), json={"signal_id": "sig-b1"})
    assert response.status_code == 404


def test_approvals_need_an_approver_on_the_account(client: TestClient, store: Store) -> None:
    lucia = bearer(store, "v-lucia")
    draft = client.post(DRAFT.format("k-horizonte"), headers=lucia).json()
    sent = client.post(f"/api/escalation-responses/{draft['response_id']}/send", headers=lucia, json={"urgent": False})
    assert sent.status_code == 200, sent.text
    assert sent.json()["outcome"] == "pending_approval"
    approval_id = sent.json()["approval"]["id"]

    # The AE reaches the account but is no approver: 403. Another team's manager does not reach it: 404.
    assert client.post(f"/api/approvals/{approval_id}/approve", headers=bearer(store, "v-tomasz")).status_code == 403
    other_manager = bearer(store, "v-zofia")
    assert client.post(f"/api/approvals/{approval_id}/approve", headers=other_manager).status_code == 404
    assert client.get("/api/approvals", headers=other_manager).json() == []
    # The CSM cannot approve their own send.
    own = client.post(f"/api/approvals/{approval_id}/approve", headers=lucia)
    assert own.status_code in (403, 409)

    listed = client.get("/api/approvals", headers=bearer(store, "v-marek")).json()
    assert [a["id"] for a in listed] == [approval_id]
    decided = client.post(f"/api/approvals/{approval_id}/approve", headers=bearer(store, "v-marek"),
                          json={"reason": "Good to go"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["approval"]["approval"]["status"] == "approved"
    assert decided.json()["approval"]["approval"]["decided_by"] == "v-marek"
    assert decided.json()["send"]["outcome"] == "sent"
