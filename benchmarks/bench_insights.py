"""Benchmark: `build_insights` on a synthetic history (past escalations, responses and replies).

Loads a generated `escalation-world/1` file with `--escalations` past escalations (each answered,
half of them replied to, spread over a year) into a scratch database on the configured server
(dropped afterwards), then times the load (outcomes recorded included) and `build_insights`
(outcomes refreshed first, then aggregated) over `--runs` calls.

    .venv/bin/python benchmarks/bench_insights.py [--escalations 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.insights.report import build_insights
from communicator_escalation.store import Store, database_url
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
TYPES = ("technical", "billing", "service", "security", "outage")
TONES = ("executive", "urgent", "formal", "warm")
REPLIES = ("Thanks, that fixed it.", "Received, we will check.", "Still broken and unacceptable.")


def world(escalations: int, rng: random.Random) -> dict[str, Any]:
    """A vendor with 50 customers and `escalations` answered past escalations."""
    staff = [{"id": f"s{i}", "name": f"CSM {i}", "email": f"s{i}@bench.example", "role": "csm"} for i in range(10)]
    customers = [{"id": f"k{i}", "name": f"Customer {i}", "arr": 50000, "tier": "smb", "health_score": 70,
                  "csm_id": f"s{i % 10}"} for i in range(50)]
    contacts = [{"id": f"p{i}", "customer_id": f"k{i}", "name": f"Contact {i}", "email": f"c{i}@k{i}.example"}
                for i in range(50)]
    signals, responses, comms = [], [], []
    for n in range(escalations):
        customer = n % 50
        detected = NOW - timedelta(days=rng.uniform(31, 365))
        sent = detected + timedelta(minutes=rng.uniform(10, 600))
        signals.append({"id": f"e{n}", "customer_id": f"k{customer}", "signal_type": "ticket_escalated",
                        "severity": rng.choice(("critical", "high", "medium", "low")), "source": "support_ticket",
                        "escalation_type": rng.choice(TYPES), "title": f"Issue {n}", "detected_at": detected.isoformat(),
                        "status": "resolved", "resolved_at": (sent + timedelta(hours=rng.uniform(2, 200))).isoformat(),
                        "reported_by_contact_id": f"p{customer}", "response_sent_at": sent.isoformat()})
        responses.append({"id": f"r{n}", "risk_signal_id": f"e{n}", "sent_at": sent.isoformat(), "sender_id": f"s{customer % 10}",
                          "template": rng.choice(TYPES), "tone": rng.choice(TONES), "expedited": rng.random() < 0.4,
                          "edit_ratio": round(rng.random() * 0.4, 3), "thread_id": f"t{n}"})
        if n % 2:
            comms.append({"id": f"m{n}", "customer_id": f"k{customer}", "channel": "email", "direction": "inbound",
                          "at": (sent + timedelta(hours=3)).isoformat(), "body": rng.choice(REPLIES), "thread_id": f"t{n}"})
    return {"format": "escalation-world/1", "vendor": {"name": "Bench", "email_domain": "bench.example"}, "staff": staff,
            "customers": customers, "contacts": contacts, "communications": comms, "risk_signals": signals,
            "responses": responses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=2000, help="past escalations (default 2000)")
    parser.add_argument("--runs", type=int, default=5, help="timed build_insights calls (default 5)")
    args = parser.parse_args()
    admin = database_url(Settings())
    name = f"bench_insights_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(admin, dbname=name)
    try:
        with Store.open(url) as store:
            started = time.perf_counter()
            load_world(store, world(args.escalations, random.Random(7)), now=NOW)
            loaded = time.perf_counter() - started
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                report = build_insights(store, actor=ACCOUNT_CSM, policy=Policy(), now=NOW)
                timings.append(time.perf_counter() - started)
        print(f"{args.escalations} past escalations: load with outcomes {loaded:.2f} s; "
              f"build_insights median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
              f"over {args.runs} runs ({report.first_response.count} first responses, {len(report.approaches)} approaches)")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
