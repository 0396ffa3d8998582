"""Loopback load on `escalation serve`: a served API in a child process and many concurrent HTTP clients.

Used by the load test (`tests/e2e/test_api_load.py`) and the load benchmark (`benchmarks/bench_api_load.py`).
Traffic goes to 127.0.0.1 only; every loop is bounded by the work it is given.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .servers import child_env, free_port, running

__all__ = ["Client", "Tally", "run_clients", "served_api"]

ESCALATION = Path(sys.executable).parent / "escalation"


@contextmanager
def served_api(db_url: str, home: Path, **env: str) -> Iterator[str]:
    """`escalation serve` on a free loopback port over `db_url`; yields its base URL."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [str(ESCALATION), "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(command, env=child_env(db_url, home, **env), cwd=home, ready_url=f"{base}/openapi.json"):
        yield base


@dataclass
class Tally:
    """What the clients saw: answers by (operation, status), failures, and per-operation timings."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, response: httpx.Response | None, elapsed: float, problem: str | None) -> None:
        """Count one answer; `problem` (a transport error or an unexpected status) is a failure."""
        with self._lock:
            if response is not None:
                self.statuses[(operation, response.status_code)] += 1
            self.seconds.setdefault(operation, []).append(elapsed)
            if problem is not None:
                self.failures.append(f"{operation}: {problem}")

    def count(self, operation: str) -> int:
        """How many `operation` requests were answered."""
        return sum(n for (op, _), n in self.statuses.items() if op == operation)


class Client:
    """One HTTP client (a keep-alive connection) that records every answer in a shared `Tally`."""

    def __init__(self, http: httpx.Client, tally: Tally) -> None:
        self.http = http
        self.tally = tally

    def call(self, operation: str, method: str, url: str, *, token: str, expect: Sequence[int] = (200,),
             json: Any = None) -> httpx.Response | None:
        """Send one request; an answer outside `expect` or a transport error is recorded as a failure."""
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, json=json, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as err:
            self.tally.record(operation, None, time.perf_counter() - started, f"{type(err).__name__}: {err}")
            return None
        problem = None if response.status_code in expect else f"{response.status_code} {response.text[:300]}"
        self.tally.record(operation, response, time.perf_counter() - started, problem)
        return response


def run_clients(base: str, clients: int, work: Callable[[Client, int], None], tally: Tally) -> float:
    """Run `work(client, n)` for n in range(clients), each on its own thread and connection; the wall time.

    The clients share one TLS context (building one per client costs more CPU than the requests), so the
    harness spends its time on requests.
    """
    tls = ssl.create_default_context()
    https = [httpx.Client(base_url=base, timeout=60.0, verify=tls) for _ in range(clients)]
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            for future in [pool.submit(work, Client(http, tally), n) for n, http in enumerate(https)]:
                future.result()
        return time.perf_counter() - started
    finally:
        for http in https:
            http.close()
