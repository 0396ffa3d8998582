"""Child-process servers on loopback ports for tests: a free port, a clean environment, start and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["child_env", "free_port", "running"]

START_DEADLINE_SECONDS = 90.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(db_url: str, home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any escalation, OpenAI or database setting, on `db_url` and `home`.

    LangGraph's CLI analytics and LangSmith tracing are off: nothing may leave the machine.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ESCALATION_", "OPENAI_")) and k != "DATABASE_URL"}
    return {
        **clean,
        "ESCALATION_DATABASE_URL": db_url,
        "ESCALATION_HOME": str(home),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
        **extra,
    }


@contextmanager
def running(command: list[str], *, env: dict[str, str], cwd: Path, ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command`, wait until `ready_url` answers (any HTTP status), stop it on exit.

    The server's output goes to `cwd/server.log`, shown when it dies or does not come up.
    """
    log_path = cwd / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_DEADLINE_SECONDS
            while True:
                assert process.poll() is None, log_path.read_text(errors="replace")
                try:
                    with urllib.request.urlopen(ready_url, timeout=2):
                        break
                except urllib.error.HTTPError:
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    assert time.monotonic() < deadline, f"not up after {START_DEADLINE_SECONDS}s:\n" + log_path.read_text(
                        errors="replace"
                    )
                    time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
