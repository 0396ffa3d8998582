"""After the send over HTTP: `GET /api/insights`, `GET /api/updates`, `POST .../update`, scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.insights.report import build_insights
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy

THEN = datetime.now(UTC) - timedelta(hours=5)


@pytest.fixture
def demo(store: Store, demo_world_path: Path, tmp_path: Path) -> Store:
    load_world(store, demo_world_path, now=THEN)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), now=THEN + timedelta(minutes=20), new=True).draft
    send_response(store, response_id=draft.response_id, mailer=OutboxMailer(tmp_path / "outbox"), urgent=True,
                  settings=Settings(home=tmp_path), now=THEN + timedelta(minutes=20))
    return store


def _client(store: Store, staff_id: str) -> TestClient:
    token = create_token(store, staff_id=staff_id).token
    return TestClient(create_app(store, Settings(openai_api_key=None)), headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def jordan(demo: Store) -> Iterator[TestClient]:
    with _client(demo, "u-jordan") as client:
        yield client


def test_insights_over_http_are_the_callers(jordan: TestClient, demo: Store) -> None:
    served = jordan.get("/api/insights")
    assert served.status_code == 200
    body = served.json()
    assert set(body) == {"first_response", "approaches", "edit_ratio_by_template"}
    # Jordan reaches his own customers only (not Kate's Brightpath and Helix)
    mine = build_insights(demo, actor=Actor(staff_id="u-jordan"), policy=Policy())
    everyone = build_insights(demo, actor=ACCOUNT_CSM, policy=Policy())
    assert body["first_response"]["count"] == mine.first_response.count < everyone.first_response.count
    assert set(body["first_response"]["by_csm"]) == {"Jordan Patel"}
    since = jordan.get("/api/insights", params={"since": (THEN + timedelta(minutes=1)).date().isoformat(),
                                                 "customer": "DataFlow"}).json()
    assert since["first_response"]["count"] >= 1
    assert jordan.get("/api/insights", params={"customer": "Brightpath"}).status_code == 404


def test_updates_due_and_drafting_the_next_one(jordan: TestClient, demo: Store) -> None:
    [due] = jordan.get("/api/updates").json()
    assert due["customer_name"].startswith("DataFlow") and due["is_due"]
    drafted = jordan.post(f"/api/escalation-responses/{due['response_id']}/update")
    assert drafted.status_code == 200
    update = drafted.json()
    assert update["kind"] == "update" and update["follows_response_id"] == due["response_id"]
    assert jordan.get("/api/updates").json()[0]["draft_id"] == update["response_id"]
    with _client(demo, "u-kate") as kate:
        assert kate.get("/api/updates").json() == []
        assert kate.post(f"/api/escalation-responses/{due['response_id']}/update").status_code == 404
