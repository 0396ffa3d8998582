"""Benchmark: how long `draft_email` takes on the offline path (no LLM) for the demo's DataFlow case.

Loads the demo world into a scratch database (dropped afterwards) on the configured server
(ESCALATION_DATABASE_URL, or the embedded PostgreSQL under ESCALATION_HOME, as `make demo` uses),
gathers the DataFlow context, strategy and CCs once, then times `draft_email` alone.

    .venv/bin/python benchmarks/bench_drafting.py [--runs 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from _scratch import scratch_database

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.store import Store, database_url
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from communicator_escalation.workflow.drafting.compose import draft_email
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.strategy.ccs import suggest_ccs
from communicator_escalation.workflow.strategy.pick import pick_strategy

DEMO_WORLD = Path(__file__).resolve().parents[1] / "communicator_escalation" / "worlds" / "demo-world.json"
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="timed draft_email calls (default 500)")
    args = parser.parse_args()

    with scratch_database(database_url(Settings()), "bench_drafting") as url, Store.open(url) as store:
        load_world(store, DEMO_WORLD, now=NOW)
        ctx = gather_context(store, actor=ACCOUNT_CSM, customer="DataFlow", now=NOW)

    policy = Policy()
    strategy = pick_strategy(ctx, policy, now=NOW)
    ccs = suggest_ccs(ctx, strategy, policy=policy)
    draft_email(ctx, strategy, ccs, now=NOW)  # warm-up: template compilation is cached after the first call

    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        draft_email(ctx, strategy, ccs, now=NOW)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(f"draft_email, DataFlow, offline: {args.runs} runs")
    print(f"  median {statistics.median(timings):.2f} ms   p95 {p95:.2f} ms   max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
