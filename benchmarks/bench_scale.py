"""Benchmark: does the cost stay flat from 1,000 to 100,000 customers?

For each size, a synthetic world (`escalation generate-world`, 41 records per customer) is loaded into a
scratch database (dropped afterwards) on the configured server (ESCALATION_DATABASE_URL, or the embedded
PostgreSQL under ESCALATION_HOME), then it measures: world load in rows (records) per second; drafting by
customer name and by risk signal id (`open_or_create_draft(new=True)`, offline, no LLM), p50/p95; the context of a
signal by id, p50; and the pre-drafting worker's steady-state rate (drafts after its first batch, so
start-up is left out), for one worker and for two worker processes sharing the queue. The last table
gives each figure's growth from the smallest to the largest size.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--samples 100]
    make bench                                   # sizes from BENCH_SIZES (default "1000 10000")

Generated files are kept under $TMPDIR/escalation-bench/ and reused (100,000 customers is 1.4 GB).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _scratch import scratch_database

from communicator_escalation.auth.actor import ACCOUNT_CSM, WORKER
from communicator_escalation.config import Settings
from communicator_escalation.store import Store, database_url
from communicator_escalation.store.world.synthetic import write_world
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.worker import run_worker
from communicator_escalation.workflow.context.gather import gather_context
from communicator_escalation.workflow.drafting.open import BATCH_SIZE, PredraftOutcome, open_or_create_draft
from communicator_escalation.workflow.policy import Policy

SEED = 7
WORKER_SIGNALS = 1500  # pre-drafts timed per size


def _world_file(customers: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "escalation-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"world-{customers}-{SEED}.json"
    if not path.exists():
        partial = path.with_suffix(".part")
        with partial.open("w", encoding="utf-8") as out:
            write_world(out, customers=customers, seed=SEED)
        partial.rename(path)
    return path


def _timed_ms(calls: list, warmup: int = 3) -> list[float]:
    for call in calls[:warmup]:
        call()
    timings = []
    for call in calls[warmup:]:
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return sorted(timings)


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def _steady_rate(stamps: list[float]) -> float:
    """Drafts per second after the first batch (start-up, the listener and the first claim left out)."""
    stamps = sorted(stamps)
    if len(stamps) <= BATCH_SIZE:
        return 0.0
    return (len(stamps) - BATCH_SIZE) / (stamps[-1] - stamps[BATCH_SIZE - 1])


def _worker_rate(store: Store, policy: Policy) -> float:
    """Steady-state pre-drafts per second of one worker catching up, over WORKER_SIGNALS signals."""
    stamps: list[float] = []
    stop = threading.Event()

    def seen(outcome: PredraftOutcome) -> None:
        if outcome.outcome == "drafted":
            stamps.append(time.perf_counter())
        if len(stamps) >= WORKER_SIGNALS:
            stop.set()

    run_worker(store, policy=policy, stop=stop, once=True, on_outcome=seen)
    return _steady_rate(stamps)


def _one_of_workers(url: str, drafted: Any, stop: Any, stamps: Any) -> None:
    """One worker process (see `_workers_rate`): catch up until `stop`, stamping each draft."""
    with Store.open(url, max_size=2) as store:
        def seen(outcome: PredraftOutcome) -> None:
            if outcome.outcome == "drafted":
                with drafted.get_lock():
                    if drafted.value < len(stamps):
                        stamps[drafted.value] = time.perf_counter()  # CLOCK_MONOTONIC: one clock for every process
                    drafted.value += 1
                    if drafted.value >= len(stamps):
                        stop.set()

        run_worker(store, policy=Policy(), stop=stop, once=True, on_outcome=seen)


def _workers_rate(url: str, processes: int = 2) -> float:
    """Steady-state pre-drafts per second of `processes` worker processes sharing the queue."""
    spawn = multiprocessing.get_context("spawn")
    drafted, stop, stamps = spawn.Value("i", 0), spawn.Event(), spawn.Array("d", WORKER_SIGNALS)
    workers = [spawn.Process(target=_one_of_workers, args=(url, drafted, stop, stamps)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return _steady_rate(list(stamps[: min(drafted.value, WORKER_SIGNALS)]))


def measure(admin: str, customers: int, samples: int) -> dict[str, float]:
    """Every figure for one size."""
    path = _world_file(customers)
    policy = Policy()
    rng = random.Random(SEED)
    with scratch_database(admin, "bench_scale") as url:
        with Store.open(url) as store:
            start = time.perf_counter()
            report = load_world(store, path)
            seconds = time.perf_counter() - start
            rows = sum(report.counts.values())
            picked = [f"cu-{i:06d}" for i in rng.sample(range(customers), min(customers, 3 * (samples + 3)))]
            with store.connection() as conn:
                names = {r["id"]: r["name"] for r in conn.execute(
                    "SELECT id, name FROM customers WHERE id = ANY(%s)", (picked,))}
            by_name, by_id, context = picked[: samples + 3], picked[samples + 3: 2 * samples + 6], picked[2 * samples + 6:]
            name_ms = _timed_ms([lambda c=c: open_or_create_draft(store, actor=ACCOUNT_CSM, customer=names[c],
                                                                  policy=policy, new=True)
                                 for c in by_name])
            id_ms = _timed_ms([lambda c=c: open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id=f"{c}-s0",
                                                                policy=policy, new=True)
                               for c in by_id])
            ctx_ms = _timed_ms([lambda c=c: gather_context(store, actor=ACCOUNT_CSM, signal_id=f"{c}-s0")
                                for c in context])
            rate = _worker_rate(store, policy)
            with store.connection() as conn:  # the same signals are pending again for the two workers
                conn.execute("DELETE FROM escalation_responses WHERE created_by = %s", (WORKER.audit_id(None),))
        rate2 = _workers_rate(url)
    return {
        "rows": rows, "load rows/s": rows / seconds,
        "draft by name p50 ms": statistics.median(name_ms), "draft by name p95 ms": _pct(name_ms, 0.95),
        "draft by id p50 ms": statistics.median(id_ms), "draft by id p95 ms": _pct(id_ms, 0.95),
        "context by id p50 ms": statistics.median(ctx_ms), "worker pre-drafts/s": rate,
        "2 workers pre-drafts/s": rate2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="customer counts")
    parser.add_argument("--samples", type=int, default=100, help="timed calls per latency figure")
    args = parser.parse_args()
    admin = database_url(Settings())
    results = {}
    for size in args.sizes:
        results[size] = measure(admin, size, args.samples)
        print(f"{size:>8} customers: " + ", ".join(f"{k} {v:,.1f}" for k, v in results[size].items()), flush=True)
    metrics = list(next(iter(results.values())))
    print("\n| figure | " + " | ".join(f"{s:,} customers" for s in results) + " | growth |")
    print("|---|" + "---|" * (len(results) + 1))
    for metric in metrics:
        values = [results[s][metric] for s in results]
        growth = values[-1] / values[0] if values[0] else float("nan")
        print(f"| {metric} | " + " | ".join(f"{v:,.1f}" for v in values) + f" | {growth:.2f}x |")


if __name__ == "__main__":
    main()
