"""Race tests around a real transport: a pause at one chosen step, and a thread that runs a call.

`PausingMailer` wraps a real `Mailer` (the outbox, or Gmail through its client against the loopback
server) and, the first time the chosen point is reached, sets `reached` and waits for `release`.
Points: ``before_create`` (before drafts.create), ``before_send`` (before drafts.send),
``after_send`` (the provider answered; the sender has not recorded anything yet, i.e. before its
final commit). Pausing *inside* the provider call is the loopback Gmail's `Hold` reply.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from communicator_escalation.mail.base import DraftStatus, Mailer, OutgoingEmail, SendReceipt

T = TypeVar("T")
WAIT_SECONDS = 30.0


class PausingMailer:
    """A `Mailer` that delegates to `inner` and pauses once at `at`."""

    def __init__(self, inner: Mailer, *, at: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.at = at
        self.reached = threading.Event()
        self.release = threading.Event()

    def _pause(self, point: str) -> None:
        if point != self.at or self.reached.is_set():
            return
        self.reached.set()
        if not self.release.wait(WAIT_SECONDS):
            raise TimeoutError(f"the test never released the pause at {point}")

    def create_draft(self, email: OutgoingEmail) -> str:
        self._pause("before_create")
        return self.inner.create_draft(email)

    def send_draft(self, draft_id: str) -> SendReceipt:
        self._pause("before_send")
        receipt = self.inner.send_draft(draft_id)
        self._pause("after_send")
        return receipt

    def draft_status(self, draft_id: str, message_id: str) -> tuple[DraftStatus, SendReceipt | None]:
        return self.inner.draft_status(draft_id, message_id)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class Running(Generic[T]):
    """Run `call` in a thread; `result()` joins it and returns its value or raises its error."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._value = call()
        except BaseException as err:  # noqa: BLE001 - handed to the test by result()
            self._error = err

    def result(self) -> T:
        self._thread.join(WAIT_SECONDS)
        if self._thread.is_alive():
            raise TimeoutError("the call did not finish")
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def wait(event: threading.Event) -> None:
    """Wait for `event`, failing the test instead of hanging."""
    if not event.wait(WAIT_SECONDS):
        raise TimeoutError("the paused step was never reached")
