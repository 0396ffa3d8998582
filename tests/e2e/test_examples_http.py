"""examples/call_endpoints.py against a real `escalation serve` (uvicorn) on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api_worlds import api_world

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "call_endpoints.py"
START_DEADLINE_SECONDS = 60.0


def escalation(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    command = [sys.executable, "-c", "from communicator_escalation.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ESCALATION_", "OPENAI_")) and k != "DATABASE_URL"}
    return {**clean, "ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path / "home"),
            "PYTHONPATH": str(ROOT)}


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`escalation serve` on a free loopback port; yields its base URL."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from communicator_escalation.cli import main; main()",
         "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base_url + "/openapi.json", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # a loaded machine answers slowly
                assert time.monotonic() < deadline, "escalation serve did not start"
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_example_calls_both_prd_endpoints_with_a_token(env: dict[str, str], server: str, tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    world.write_text(json.dumps(api_world()), encoding="utf-8")
    loaded = escalation("load", str(world), env=env)
    assert loaded.returncode == 0, loaded.stderr
    issued = escalation("token", "create", "--staff", "v-lucia", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]

    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--customer", "k-horizonte", "--base-url", server],
        env={**env, "ESCALATION_TOKEN": token}, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Escalation sig-h1 at Horizonte Logística: Export timeouts escalated" in run.stdout
    assert "To: carmen.vidal@horizonte.example" in run.stdout
    assert "ARR $180,000" in run.stdout

    # The same call for another team's customer is a clean 404, and a bad token a clean 401.
    other = subprocess.run(
        [sys.executable, str(EXAMPLE), "--customer", "k-baltyk", "--base-url", server],
        env={**env, "ESCALATION_TOKEN": token}, capture_output=True, text=True, timeout=120, check=False,
    )
    assert other.returncode == 1 and "HTTP 404" in other.stderr
    bad = subprocess.run(
        [sys.executable, str(EXAMPLE), "--customer", "k-horizonte", "--base-url", server, "--token", "esc_wrong"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert bad.returncode == 1 and "HTTP 401" in bad.stderr
