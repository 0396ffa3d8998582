"""`GET /api/risk-signals/{id}/context` through the real app (TestClient) and `escalation serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.models import EscalationContext
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from tests.support.step1_worlds import NOW, nordlicht_world

ESCALATION = str(Path(sys.executable).with_name("escalation"))  # the installed console script


@pytest.fixture
def demo(store: Store, demo_world_path: Path) -> Store:
    load_world(store, demo_world_path)
    return store


@pytest.fixture
def client(demo: Store) -> Iterator[TestClient]:
    token = create_token(demo, staff_id="u-jordan").token
    with TestClient(create_app(demo), headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


def test_context_is_the_escalation_context(client: TestClient, demo: Store) -> None:
    response = client.get("/api/risk-signals/rs-1001/context")
    assert response.status_code == 200
    served = EscalationContext.model_validate(response.json())
    assert served == gather_context(demo, actor=ACCOUNT_CSM, signal_id="rs-1001", now=served.gathered_at)
    assert served.customer.arr == 340000 and served.health.direction == "declining"
    assert served.reply_to is not None and served.reply_to.message_id == "<CAF+mt.4821.1@mail.dataflow.com>"


def test_unknown_signal_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/risk-signals/rs-9999/context")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not_found" and set(body["error"]) == {"code", "message", "candidates"}


def test_non_escalation_signal_is_a_422(client: TestClient) -> None:
    response = client.get("/api/risk-signals/rs-0950/context")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_an_escalation"


def test_unknown_route_has_the_same_error_shape(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_token_is_required(demo: Store) -> None:
    with TestClient(create_app(demo)) as anonymous:
        response = anonymous.get("/api/risk-signals/rs-1001/context")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


def test_openapi_documents_the_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/risk-signals/{signal_id}/context"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("EscalationContext")
    assert operation["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert client.get("/docs").status_code == 200


def test_app_opens_and_closes_its_own_store(store: Store, db_url: str) -> None:
    load_world(store, nordlicht_world(), now=NOW)
    token = create_token(store, staff_id="s-anna").token
    app = create_app(settings=Settings(database_url=db_url))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as own:
        response = own.get("/api/risk-signals/e-sakura/context")
        assert response.status_code == 200
        assert response.json()["customer"]["name"] == "株式会社さくら"
        opened: Store = app.state.store
    assert opened is not store and opened.pool.closed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_escalation_serve(demo: Store, db_url: str) -> None:
    token = create_token(demo, staff_id="u-kate").token  # Brightpath's CSM
    port = _free_port()
    env = {**os.environ, "ESCALATION_DATABASE_URL": db_url}
    server = subprocess.Popen(
        [ESCALATION, "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/risk-signals/rs-1003/context"
        for _ in range(150):
            try:
                response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                time.sleep(0.2)
        else:
            pytest.fail("escalation serve did not start")
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["other_open_escalations"]] == ["rs-1004"]
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
def test_serve_with_the_database_down_exits_cleanly() -> None:
    env = {**os.environ, "ESCALATION_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    done = subprocess.run(
        [ESCALATION, "serve", "--port", str(_free_port())],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: database unavailable")
