"""Scripted replies of the loopback Gmail server (`tests.support.gmail_server.FakeGmail.script`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A scripted HTTP reply. Status 200 means: perform the real operation."""

    status: int = 200
    retry_after: str | None = None
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class AcceptThenHang:
    """Perform the operation, then answer only after `seconds` (past the client's timeout)."""

    seconds: float = 2.0


@dataclass(frozen=True)
class AcceptThenDrop:
    """Perform the operation, then close the connection without any answer."""


@dataclass(frozen=True)
class Hold:
    """Pause inside the request: set `reached`, wait for `release`, then go on.

    `perform_first=False` holds before the operation (nothing happened yet); True performs it
    and holds the answer (it happened, the client does not know yet).
    """

    perform_first: bool = False
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def pause(self, stop: threading.Event) -> None:
        self.reached.set()
        while not (self.release.wait(0.05) or stop.is_set()):
            pass


Scripted = int | Reply | AcceptThenHang | AcceptThenDrop | Hold
