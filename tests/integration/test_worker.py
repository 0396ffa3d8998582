"""The pre-drafting worker: LISTEN/NOTIFY from the risk_signals trigger, catch-up, one draft per signal."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.cli import app as cli
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.worker import CHANNEL, WorkerReport, run_worker
from communicator_escalation.workflow.drafting.open import ensure_draft
from communicator_escalation.workflow.policy import Policy
from tests.support.api_worlds import api_world, load_api_world

DEADLINE_SECONDS = 20.0  # generous: the worker reacts to NOTIFY at once; this only bounds a failure


def insert_signal(db_url: str, signal_id: str, *, signal_type: str = "ticket_escalated", status: str = "open",
                  customer_id: str = "k-horizonte") -> None:
    """A plain SQL insert, as any other system writing to the database would do."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO risk_signals (id, customer_id, signal_type, severity, source, title, detected_at, status,"
            " reported_by_contact_id) VALUES (%s, %s, %s, 'critical', 'support_ticket', %s, %s, %s, %s)",
            (signal_id, customer_id, signal_type, f"Dispatch board down ({signal_id})", datetime.now(timezone.utc),
             status, "p-jorge" if customer_id == "k-horizonte" else None),
        )


def responses_of(store: Store, signal_id: str) -> list[dict]:
    with store.connection() as conn:
        return conn.execute(
            "SELECT id, status, created_by FROM escalation_responses WHERE risk_signal_id = %s", (signal_id,)
        ).fetchall()


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the worker did not pre-draft in time"
        time.sleep(0.05)


@contextmanager
def running_worker(db_url: str) -> Iterator[WorkerReport]:
    """A worker on its own store (as a separate process would have), stopped at the end."""
    stop, ready = threading.Event(), threading.Event()
    holder: dict[str, WorkerReport] = {}
    worker_store = Store.open(db_url, max_size=4)

    def body() -> None:
        holder["report"] = run_worker(worker_store, policy=Policy(), stop=stop, on_listening=ready.set)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    assert ready.wait(DEADLINE_SECONDS), "the worker did not start listening"
    report = WorkerReport()
    try:
        yield report
    finally:
        stop.set()
        thread.join(DEADLINE_SECONDS)
        worker_store.close()
        report.outcomes.extend(holder.get("report", WorkerReport()).outcomes)


def test_trigger_notifies_new_committed_open_escalations_from_sql_and_world_loads(store: Store, db_url: str) -> None:
    load_api_world(store)
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        insert_signal(db_url, "sig-n1")
        insert_signal(db_url, "sig-n2", signal_type="health_score_drop")
        insert_signal(db_url, "sig-n3", status="resolved")
        with psycopg.connect(db_url) as conn:  # rolled back: never announced
            conn.execute("INSERT INTO risk_signals (id, customer_id, signal_type, severity, source, title, detected_at,"
                         " status) VALUES ('sig-n4', 'k-baltyk', 'critical_issue', 'high', 'x', 't', now(), 'open')")
            conn.rollback()
        insert_signal(db_url, "sig-n5", signal_type="critical_issue", customer_id="k-baltyk")
        load_api_world(store)  # a reload updates existing signals: no INSERT, no notification
        world = api_world()
        world["risk_signals"][1] = {**world["risk_signals"][1], "id": "sig-n6"}
        load_world(store, world)  # a world file bringing a new open escalation
        payloads = [n.payload for n in listener.notifies(timeout=1.0, stop_after=3)]
    assert payloads == ["sig-n1", "sig-n5", "sig-n6"]


def test_worker_predrafts_a_signal_inserted_with_plain_sql(store: Store, db_url: str) -> None:
    load_api_world(store)
    with running_worker(db_url) as report:
        wait_for(lambda: len(responses_of(store, "sig-h1")) == 1)  # catch-up of the world's open escalations
        insert_signal(db_url, "sig-new")
        wait_for(lambda: bool(responses_of(store, "sig-new")))
    [row] = responses_of(store, "sig-new")
    assert row["status"] == "drafted"
    assert {o.signal_id for o in report.outcomes if o.outcome == "drafted"} == {"sig-h1", "sig-b1", "sig-new"}


def test_two_workers_never_draft_a_signal_twice(store: Store, db_url: str) -> None:
    load_api_world(store)
    with running_worker(db_url) as first, running_worker(db_url) as second:
        for n in range(5):
            insert_signal(db_url, f"sig-pair-{n}")
        wait_for(lambda: all(responses_of(store, f"sig-pair-{n}") for n in range(5)))
        time.sleep(0.5)  # let the slower worker finish looking at the same notifications
    for n in range(5):
        assert len(responses_of(store, f"sig-pair-{n}")) == 1
    drafted = [o.signal_id for o in first.outcomes + second.outcomes if o.outcome == "drafted"]
    assert sorted(drafted) == sorted(set(drafted))


def test_ensure_draft_is_idempotent_and_skips_what_is_not_open(store: Store, db_url: str) -> None:
    load_api_world(store)
    first = ensure_draft(store, signal_id="sig-b1", policy=Policy())
    again = ensure_draft(store, signal_id="sig-b1", policy=Policy())
    assert first.outcome == "drafted" and again.outcome == "exists"
    assert again.response_id == first.response_id
    insert_signal(db_url, "sig-closed", status="resolved")
    assert ensure_draft(store, signal_id="sig-closed", policy=Policy()).outcome == "not_open"
    assert ensure_draft(store, signal_id="sig-missing", policy=Policy()).outcome == "not_open"


def test_the_agents_draft_tool_opens_the_predraft_unless_given_instructions(store: Store, tmp_path: Path) -> None:
    load_api_world(store)
    predraft = ensure_draft(store, signal_id="sig-b1", policy=Policy())
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy())
    [tool] = [t for t in skill.tools if t.name == ToolName.DRAFT_RESPONSE.value]

    opened = json.loads(tool.invoke({"customer": "Baltyk"}))
    assert (opened["kind"], opened["response_id"], opened["signal_id"]) == ("draft", predraft.response_id, "sig-b1")
    assert opened["status"] == "drafted" and opened["to"]["email"] and opened["body"]
    assert len(responses_of(store, "sig-b1")) == 1

    rewritten = json.loads(tool.invoke({"signal_id": "sig-b1", "instructions": "Keep it short."}))
    assert rewritten["response_id"] != predraft.response_id
    assert len(responses_of(store, "sig-b1")) == 2
    again = json.loads(tool.invoke({"signal_id": "sig-b1"}))
    assert again["response_id"] == rewritten["response_id"]  # the newest draft is the one the CSM works on
    assert len(responses_of(store, "sig-b1")) == 2


def test_worker_once_catches_up_from_the_cli(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    load_api_world(store)
    monkeypatch.setenv("ESCALATION_DATABASE_URL", store.url)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sig-h1: drafted response" in result.output
    assert "2 drafted" in result.output
    again = CliRunner().invoke(cli, ["worker", "--once"])
    assert "0 drafted" in again.output
    assert len(responses_of(store, "sig-h1")) == len(responses_of(store, "sig-b1")) == 1


def test_workers_and_draft_requests_racing_over_a_backlog_draft_each_signal_once(store: Store, db_url: str) -> None:
    load_api_world(store)
    backlog = [f"sig-backlog-{n:02d}" for n in range(60)]
    for signal_id in backlog:
        insert_signal(db_url, signal_id)
    reports: list[WorkerReport] = []
    requests: list[str] = []

    def worker() -> None:
        with Store.open(db_url, max_size=3) as own:
            reports.append(run_worker(own, policy=Policy(), once=True))

    def draft_requests() -> None:  # the alert's quick action, newest first, while the workers catch up
        with Store.open(db_url, max_size=3) as own:
            for signal_id in reversed(backlog):
                outcome = ensure_draft(own, signal_id=signal_id, policy=Policy())
                if outcome.outcome == "drafted":
                    requests.append(signal_id)

    threads = [threading.Thread(target=worker) for _ in range(3)] + [threading.Thread(target=draft_requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS * 3)
    assert len(reports) == 3
    for signal_id in backlog:
        assert len(responses_of(store, signal_id)) == 1, signal_id
    drafted = [o.signal_id for report in reports for o in report.outcomes if o.outcome == "drafted"] + requests
    assert sorted(drafted) == sorted(set(drafted))
    assert set(backlog) <= set(drafted)


def test_a_worker_batch_needs_one_pooled_connection_and_leaves_no_lock_behind(db_url: str) -> None:
    # A pool of one with a short wait: a batch that took its locks on one connection and read or wrote
    # on a second would time out here; a lock left on the pooled connection would stall every later
    # draft request of that signal from another connection.
    with Store.open(db_url, max_size=1, timeout=2) as one:
        load_api_world(one)
        report = run_worker(one, policy=Policy(), once=True)
        assert sorted(o.signal_id for o in report.outcomes if o.outcome == "drafted") == ["sig-b1", "sig-h1"]
        with one.connection() as conn:
            held = conn.execute("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
                                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
        assert held["n"] == 0
    with Store.open(db_url, max_size=2, timeout=2) as other:
        assert ensure_draft(other, signal_id="sig-h1", policy=Policy()).outcome == "exists"
