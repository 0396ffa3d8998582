"""`open_or_create_draft`: one draft per escalation under concurrency, on one pooled connection per request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from communicator_escalation.api.app import create_app
from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.store import Store
from communicator_escalation.workflow.drafting.open import OpenedDraft, ensure_draft, open_or_create_draft
from communicator_escalation.workflow.policy import Policy
from tests.support.api_worlds import load_api_world

LUCIA = Actor.of("v-lucia")


def _response_ids(store: Store, signal_id: str) -> list[str]:
    with store.connection() as conn:
        rows = conn.execute("SELECT id FROM escalation_responses WHERE risk_signal_id = %s", (signal_id,)).fetchall()
    return [row["id"] for row in rows]


def test_a_draft_request_needs_one_pooled_connection(db_url: str, tmp_path: Path) -> None:
    # A pool of one connection with a short wait: a request that asked for a second connection while
    # holding the first (e.g. the signal lock on one and the work on another) would time out here.
    with Store.open(db_url, max_size=1, timeout=2) as one:
        load_api_world(one)
        first = open_or_create_draft(one, actor=LUCIA, customer="Horizonte", policy=Policy())
        again = open_or_create_draft(one, actor=LUCIA, customer="Horizonte", policy=Policy())
        new = open_or_create_draft(one, actor=LUCIA, signal_id="sig-h1", new=True, policy=Policy())
        assert first.created and not again.created and new.created
        assert again.draft.response_id == first.draft.response_id != new.draft.response_id
        assert ensure_draft(one, signal_id="sig-b1", policy=Policy()).outcome == "drafted"
        assert ensure_draft(one, signal_id="sig-b1", policy=Policy()).outcome == "exists"

        token = create_token(one, staff_id="v-piotr").token
        with TestClient(create_app(one, Settings(home=tmp_path, database_url=one.url))) as client:
            served = client.post("/api/customers/k-baltyk/escalation-response",
                                 headers={"Authorization": f"Bearer {token}"}, json={"new": True})
        assert served.status_code == 201, served.text
        assert len(_response_ids(one, "sig-b1")) == 2


def test_concurrent_requests_open_one_draft(db_url: str) -> None:
    with Store.open(db_url, max_size=3) as store:
        load_api_world(store)

        def open_it(n: int) -> OpenedDraft:
            actor = LUCIA if n % 2 else ACCOUNT_CSM
            target = {"customer": "Horizonte"} if n % 3 else {"signal_id": "sig-h1"}
            return open_or_create_draft(store, actor=actor, policy=Policy(), **target)

        with ThreadPoolExecutor(max_workers=8) as workers:
            opened = list(workers.map(open_it, range(12)))
        assert sum(o.created for o in opened) == 1
        assert {o.draft.response_id for o in opened} == set(_response_ids(store, "sig-h1"))
        assert len(_response_ids(store, "sig-h1")) == 1
