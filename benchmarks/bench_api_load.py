"""Benchmark: draft throughput of `escalation serve` at 4 and at 32 concurrent clients (loopback).

Loads a generated world (`--customers`, default 200) into a scratch database on the configured server
(ESCALATION_DATABASE_URL, or the embedded PostgreSQL under ESCALATION_HOME), serves it with the default
pool and worker settings (ESCALATION_POOL_SIZE etc. are passed on when set), and sends `--drafts` new
drafts (`POST /api/customers/{id}/escalation-response` with `new: true`, customers round-robin, each
as its customer's CSM) per round; rounds at 4 and at 32 clients alternate. Prints the median round's
drafts/s per level, latency percentiles and the error count.

    .venv/bin/python benchmarks/bench_api_load.py [--customers 200] [--drafts 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the load helpers and the world generator live in tests/support

from bench_drafting import _drop, _scratch_database  # noqa: E402

from communicator_escalation.auth.tokens import create_token  # noqa: E402
from communicator_escalation.config import Settings  # noqa: E402
from communicator_escalation.store import Store, database_url  # noqa: E402
from communicator_escalation.store.world.loader import load_world  # noqa: E402
from tests.support.api_load import Client, Tally, run_clients, served_api  # noqa: E402
from tests.support.crowd_world import crowd_world, csm_of  # noqa: E402

CSMS = 8


def _round(base: str, clients: int, drafts: int, customers: int, tokens: dict[str, str]) -> tuple[float, Tally]:
    """Send `drafts` new drafts from `clients` concurrent clients; the wall time and what they saw."""
    tally = Tally()
    order = itertools.count()
    lock = threading.Lock()

    def work(client: Client, _: int) -> None:
        while True:
            with lock:
                n = next(order)
            if n >= drafts:
                return
            index = n % customers
            client.call("draft", "POST", f"/api/customers/k-{index}/escalation-response",
                        token=tokens[csm_of(index, CSMS)], json={"new": True}, expect=(201,))

    return run_clients(base, clients, work, tally), tally


def _report(clients: int, rounds: list[tuple[float, Tally]]) -> None:
    """The median round's drafts/s, latency over all rounds, and every error."""
    rates = sorted(tally.count("draft") / wall for wall, tally in rounds)
    seconds = sorted(s for _, tally in rounds for s in tally.seconds.get("draft", []))
    failures = [f for _, tally in rounds for f in tally.failures]
    p95 = seconds[min(len(seconds) - 1, round(0.95 * len(seconds)) - 1)]
    print(f"  {clients:>2} clients: {statistics.median(rates):7.1f} drafts/s (rounds: {', '.join(f'{r:.1f}' for r in rates)})"
          f"   median {statistics.median(seconds) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   errors {len(failures)}")
    for failure in failures[:3]:
        print(f"     {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200, help="customers in the generated world (default 200)")
    parser.add_argument("--drafts", type=int, default=300, help="new drafts per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency level (default 3)")
    args = parser.parse_args()

    admin = database_url(Settings())
    url = _scratch_database(admin)
    passed_on = {k: v for k, v in os.environ.items() if k.startswith("ESCALATION_") and k not in
                 ("ESCALATION_DATABASE_URL", "ESCALATION_HOME")}
    try:
        with Store.open(url) as store:
            load_world(store, crowd_world(args.customers, csms=CSMS))
            tokens = {f"h-csm{n}": create_token(store, staff_id=f"h-csm{n}").token for n in range(CSMS)}
        with tempfile.TemporaryDirectory(prefix="bench-api-load-") as home, \
                served_api(url, Path(home), **passed_on) as base:
            _round(base, 4, min(40, args.drafts), args.customers, tokens)  # warm-up: templates, pool, plans
            rounds: dict[int, list[tuple[float, Tally]]] = {4: [], 32: []}
            for _ in range(args.rounds):  # the levels alternate, so a busy moment of the machine hits both
                for clients, results in rounds.items():
                    results.append(_round(base, clients, args.drafts, args.customers, tokens))
            settings = ", ".join(f"{k}={v}" for k, v in sorted(passed_on.items())) or "default settings"
            print(f"escalation serve, {args.customers} customers, {args.drafts} new drafts per round, "
                  f"{args.rounds} rounds per level ({settings})")
            for clients, results in rounds.items():
                _report(clients, results)
    finally:
        _drop(admin, url)


if __name__ == "__main__":
    main()
