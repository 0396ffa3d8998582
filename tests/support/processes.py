"""Real `escalation` subprocesses for tests: started from this virtualenv, output collected, stopped by pid."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ESCALATION = Path(sys.executable).with_name("escalation")
WAIT_SECONDS = 90.0


class Started:
    """One `escalation ...` process; its stdout and stderr are read into `lines` as they come."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.args = args
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(  # noqa: S603 - our own console script with fixed arguments
            [str(ESCALATION), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**env, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, *, count: int = 1) -> list[re.Match[str]]:
        """Wait until `count` output lines match `pattern`; fail with the output if the process exits first."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._changed:
            while True:
                found = [m for m in (re.search(pattern, line) for line in self.lines) if m]
                if len(found) >= count:
                    return found[:count]
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"escalation {' '.join(self.args)} did not print {pattern!r} x{count}:\n"
                                         + "\n".join(self.lines[-40:]))
                self._changed.wait(0.2)

    def stop(self) -> None:
        """Ctrl-C, then terminate, then kill: this process only."""
        for sig, grace in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                continue
        self._reader.join(5)
