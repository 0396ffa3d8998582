"""Several processes on one PostgreSQL: two `escalation serve` (uvicorn on loopback ports) and two
`escalation worker`, real subprocesses, against one database given by ESCALATION_DATABASE_URL (the
embedded test server standing in for an external one). Concurrent drafts and sends of the same
escalations through different processes give one draft and one email each."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from communicator_escalation.auth.tokens import create_token
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.fleet_world import fleet_world
from tests.support.processes import WAIT_SECONDS, Started

ESCALATIONS = 16
ROUNDS = 2  # requests per escalation and server, for drafts and for sends
CLIENTS = 8  # concurrent clients: a draft holds one pooled connection at a time (pool of 8 per server)


@pytest.fixture
def processes(db_url: str, tmp_path: Path) -> Iterator[tuple[list[Started], list[Started]]]:
    """(servers, workers) sharing one database and one home (the outbox)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESCALATION_", "OPENAI_"))}
    env |= {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "ESCALATION_MAIL_TRANSPORT": "outbox"}
    started: list[Started] = []
    try:
        servers = [Started("serve", "--host", "127.0.0.1", "--port", "0", env=env) for _ in range(2)]
        workers = [Started("worker", env=env) for _ in range(2)]
        started += servers + workers
        yield servers, workers
    finally:
        for process in started:
            process.stop()


def _port(server: Started) -> int:
    [match] = server.wait_for(r"Web UI at http://127\.0\.0\.1:(\d+)/")
    return int(match.group(1))


def _sent(home: Path) -> list[str]:
    parser = BytesParser(policy=email_policy.default)
    return [str(parser.parsebytes(p.read_bytes())["Message-ID"]) for p in sorted((home / "outbox").glob("*.eml"))]


def test_two_servers_and_two_workers_give_one_draft_and_one_email_per_escalation(
    store: Store, processes: tuple[list[Started], list[Started]], tmp_path: Path
) -> None:
    servers, workers = processes
    for worker in workers:
        worker.wait_for(r"Listening for new escalations")
    urls = [f"http://127.0.0.1:{_port(server)}" for server in servers]
    world = fleet_world(ESCALATIONS)
    load_world(store, fleet_world(0))  # the staff directory first, for the API tokens
    csm = create_token(store, staff_id="k-aiyana").token
    executive = create_token(store, staff_id="k-chiara").token
    customers = [c["id"] for c in world["customers"]]
    # newest first: the workers take the escalations in the order they were announced
    calls = [(url, token, customer) for customer in reversed(customers) for url, token in zip(urls, (csm, executive))
             for _ in range(ROUNDS)]

    def draft(call: tuple[str, str, str]) -> tuple[str, int, str]:
        url, token, customer = call
        answer = httpx.post(f"{url}/api/customers/{customer}/escalation-response", json={},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code in (200, 201), answer.text
        return customer, answer.status_code, answer.json()["response_id"]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        load_world(store, world)  # the workers are told of every new escalation while the servers are asked
        drafted = list(pool.map(draft, calls))

    made_by_servers = sum(1 for _, code, _ in drafted if code == 201)
    deadline = time.monotonic() + WAIT_SECONDS  # the workers draft what the servers did not, in batches
    while _drafted_by(workers) + made_by_servers < ESCALATIONS and time.monotonic() < deadline:
        time.sleep(0.2)
    with store.connection() as conn:
        rows = conn.execute("SELECT id, risk_signal_id FROM escalation_responses").fetchall()
    assert sorted(r["risk_signal_id"] for r in rows) == [s["id"] for s in world["risk_signals"]]
    by_customer = {customer: {rid for c, _, rid in drafted if c == customer} for customer in customers}
    assert all(len(ids) == 1 for ids in by_customer.values())
    assert _drafted_by(workers) + made_by_servers == ESCALATIONS

    def send(call: tuple[str, str, str]) -> tuple[str, str]:
        url, token, response_id = call
        answer = httpx.post(f"{url}/api/escalation-responses/{response_id}/send", json={"urgent": True},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == 200, answer.text
        return response_id, answer.json()["outcome"]

    sends = [(url, token, next(iter(ids))) for ids in by_customer.values() for url, token in zip(urls, (csm, executive))
             for _ in range(ROUNDS)]
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(send, sends))

    assert Counter(rid for rid, outcome in outcomes if outcome == "sent") == Counter(r["id"] for r in rows)
    assert {outcome for _, outcome in outcomes} <= {"sent", "already_sent", "already_sending"}
    with store.connection() as conn:
        final = conn.execute("SELECT r.status, r.message_id, s.response_email_id FROM escalation_responses r"
                             " JOIN risk_signals s ON s.id = r.risk_signal_id").fetchall()
    assert {r["status"] for r in final} == {"sent"}
    assert sorted(_sent(tmp_path)) == sorted(r["message_id"] for r in final)
    assert all(r["response_email_id"] == r["message_id"] for r in final)


def _drafted_by(workers: list[Started]) -> int:
    """How many drafts the workers have reported so far."""
    return sum(1 for w in workers for line in list(w.lines) if re.search(r"^rs-\d+: drafted response", line))
