"""The review over HTTP: edit, To, CCs, urgent and normal sends, approval decisions, response status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.store import Store
from tests.support.api_worlds import load_api_world


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(store: Store, home: Path) -> Iterator[TestClient]:
    load_api_world(store)
    with TestClient(create_app(store, Settings(home=home, database_url=store.url))) as test_client:
        yield test_client


def bearer(store: Store, staff_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(store, staff_id=staff_id).token}"}


@pytest.fixture
def lucia(store: Store) -> dict[str, str]:
    return bearer(store, "v-lucia")


def draft_for(client: TestClient, headers: dict[str, str], customer_id: str = "k-horizonte") -> str:
    created = client.post(f"/api/customers/{customer_id}/escalation-response", headers=headers)
    assert created.status_code in (200, 201), created.text
    return created.json()["response_id"]


def test_edit_subject_body_and_recipient(client: TestClient, lucia: dict[str, str]) -> None:
    rid = draft_for(client, lucia)
    url = f"/api/escalation-responses/{rid}"

    shown = client.get(url, headers=lucia).json()
    assert shown["response"]["status"] == "drafted"
    assert shown["approval"]["approval"] is None
    assert [r["email"] for r in shown["response"]["to"]] == ["carmen.vidal@horizonte.example"]

    edited = client.patch(url, headers=lucia, json={"subject": "Export timeouts: our plan"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["subject"] == "Export timeouts: our plan"

    body = edited.json()["body"]
    word = "Carmen"
    assert word in body
    replaced = client.patch(url, headers=lucia, json={"replace": {"old": word, "new": "Señora Vidal"}}).json()
    assert word not in replaced["body"] and "Señora Vidal" in replaced["body"]

    to_jorge = client.patch(url, headers=lucia, json={"to": "Jorge Soler"})
    assert to_jorge.status_code == 200, to_jorge.text
    assert [r["email"] for r in to_jorge.json()["to"]] == ["jorge.soler@horizonte.example"]

    other_customer = client.patch(url, headers=lucia, json={"to": "anna.wojcik@baltyk.example"})
    assert other_customer.status_code == 409
    assert other_customer.json()["error"]["code"] == "refused"

    injected = client.patch(url, headers=lucia, json={"subject": "Hi\r\nBcc: evil@example.com"})
    assert injected.status_code == 422

    assert client.patch(url, headers=lucia, json={}).status_code == 422


def test_cc_add_and_remove_staff_only(client: TestClient, lucia: dict[str, str]) -> None:
    rid = draft_for(client, lucia)
    url = f"/api/escalation-responses/{rid}/ccs"

    added = client.post(url, headers=lucia, json={"add": ["support lead", "my manager"]})
    assert added.status_code == 200, added.text
    assert {r["staff_id"] for r in added.json()["cc"]} == {"v-ines", "v-marek"}

    removed = client.post(url, headers=lucia, json={"remove": ["Inés Molina"]})
    assert [r["staff_id"] for r in removed.json()["cc"]] == ["v-marek"]

    outside = client.post(url, headers=lucia, json={"add": ["someone@gmail.example"]})
    assert outside.status_code == 409
    assert client.post(url, headers=lucia, json={}).status_code == 422


def test_send_urgently_is_expedited_and_sent_exactly_once(client: TestClient, store: Store, lucia: dict[str, str],
                                                          home: Path) -> None:
    rid = draft_for(client, lucia)
    sent = client.post(f"/api/escalation-responses/{rid}/send", headers=lucia, json={"urgent": True})
    assert sent.status_code == 200, sent.text
    outcome = sent.json()
    assert outcome["outcome"] == "sent"
    assert outcome["approval"]["expedited"] is True
    assert outcome["response_minutes"] is not None and outcome["response_minutes"] >= 0

    again = client.post(f"/api/escalation-responses/{rid}/send", headers=lucia, json={"urgent": True})
    assert again.json()["outcome"] == "already_sent"
    assert len(list((home / "outbox").rglob("*.eml"))) == 1

    status = client.get(f"/api/escalation-responses/{rid}", headers=lucia).json()
    assert status["response"]["status"] == "sent"
    assert status["approval"]["approval"]["decided_by"] == "policy:expedited"
    with store.connection() as conn:
        signal = conn.execute("SELECT response_sent_at, response_email_id FROM risk_signals WHERE id = 'sig-h1'").fetchone()
    assert signal["response_sent_at"] is not None and signal["response_email_id"]


def test_normal_send_waits_for_the_manager_who_can_reject(client: TestClient, store: Store,
                                                           lucia: dict[str, str]) -> None:
    rid = draft_for(client, lucia)
    pending = client.post(f"/api/escalation-responses/{rid}/send", headers=lucia).json()
    assert pending["outcome"] == "pending_approval"
    approval_id = pending["approval"]["id"]

    marek = bearer(store, "v-marek")
    queue = client.get("/api/approvals", headers=marek).json()
    assert [a["id"] for a in queue] == [approval_id]

    rejected = client.post(f"/api/approvals/{approval_id}/reject", headers=marek, json={"reason": "Add the ETA"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["send"] is None
    assert rejected.json()["approval"]["approval"]["reason"] == "Add the ETA"

    status = client.get(f"/api/escalation-responses/{rid}", headers=lucia).json()
    assert status["response"]["status"] == "rejected"
    assert client.get("/api/approvals", headers=marek).json() == []
    assert [a["id"] for a in client.get("/api/approvals?status=all", headers=marek).json()] == [approval_id]


def test_the_account_team_reviews_and_strangers_get_404(client: TestClient, store: Store,
                                                        lucia: dict[str, str]) -> None:
    rid = draft_for(client, lucia)
    ae = bearer(store, "v-tomasz")
    assert client.get(f"/api/escalation-responses/{rid}", headers=ae).status_code == 200
    edited = client.patch(f"/api/escalation-responses/{rid}", headers=ae, json={"subject": "From the AE"})
    assert edited.status_code == 200, edited.text

    stranger = bearer(store, "v-piotr")
    for method, path, body in [
        ("get", f"/api/escalation-responses/{rid}", None),
        ("patch", f"/api/escalation-responses/{rid}", {"subject": "x"}),
        ("post", f"/api/escalation-responses/{rid}/ccs", {"add": ["x"]}),
        ("post", f"/api/escalation-responses/{rid}/send", {}),
    ]:
        hidden = client.request(method.upper(), path, headers=stranger, json=body)
        missing = client.request(method.upper(), path.replace(rid, "resp-missing"), headers=stranger, json=body)
        assert hidden.status_code == missing.status_code == 404, (method, path, hidden.text)
        assert hidden.json() == missing.json() | {"error": {**missing.json()["error"],
                                                           "message": missing.json()["error"]["message"].replace("resp-missing", rid)}}


def test_chat_turns_draft_and_send_urgently(client: TestClient, store: Store, lucia: dict[str, str]) -> None:
    first = client.post("/api/chat", headers=lucia, json={"message": "Draft escalation response for Horizonte"})
    assert first.status_code == 200, first.text
    turn = first.json()
    thread = turn["thread_id"]
    drafted = [m["data"] for m in turn["messages"] if m["role"] == "tool" and (m["data"] or {}).get("kind") == "draft"]
    assert drafted and drafted[0]["signal_id"] == "sig-h1"
    assert "Horizonte" in turn["messages"][-1]["content"]

    second = client.post("/api/chat", headers=lucia, json={"thread_id": thread, "message": "Send Urgently"}).json()
    assert second["thread_id"] == thread
    [review] = second["pending_review"]
    assert review["args"] == {"response_id": drafted[0]["response_id"], "urgent": True}

    # Another staff member using the same thread id reaches a conversation of their own: nothing to approve.
    marek = client.post("/api/chat", headers=bearer(store, "v-marek"),
                        json={"thread_id": thread, "decision": {"type": "approve"}})
    assert marek.status_code == 422

    third = client.post("/api/chat", headers=lucia, json={"thread_id": thread, "decision": {"type": "approve"}}).json()
    assert third["pending_review"] == []
    assert "sent" in third["messages"][-1]["content"]
    status = client.get(f"/api/escalation-responses/{drafted[0]['response_id']}", headers=lucia).json()
    assert status["response"]["status"] == "sent"


def test_chat_needs_a_message_or_a_decision(client: TestClient, lucia: dict[str, str]) -> None:
    assert client.post("/api/chat", headers=lucia, json={}).status_code == 422
