"""Background pre-drafting: every new open escalation gets a draft before the CSM asks for one.
With settings it also runs the follow-up round after the send (notices and drafts due status updates,
reads Gmail replies, records outcomes) at start and every few minutes.

A trigger on `risk_signals` (migration 0011) sends ``NOTIFY escalation_signal_opened, '<signal id>'``
when an open escalation is inserted, by a world load, the API or plain SQL. `run_worker` LISTENs on
a dedicated autocommit connection and drafts each one with `ensure_draft` (workflow/drafting/open.py:
`open_or_create_draft`, the drafting path of every door, as the worker and under the per-signal lock);
at start (and after a lost connection) it first catches up on open escalations that have no response yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg
from pydantic import BaseModel, Field

from .store import Store
from .config import Settings
from .workflow.drafting.open import PredraftOutcome, ensure_draft, pending_signal_ids
from .workflow.followthrough.rounds import FollowUpReport, follow_up
from .workflow.policy import Policy

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["CHANNEL", "WorkerReport", "catch_up", "run_worker"]

CHANNEL = "escalation_signal_opened"
_RECONNECT_DELAY_SECONDS = 2.0
_POLL_SECONDS = 1.0
FOLLOW_UP_SECONDS = 300.0

logger = logging.getLogger(__name__)


class WorkerReport(BaseModel):
    """What a worker run did."""

    outcomes: list[PredraftOutcome] = Field(default_factory=list, description="One entry per signal handled.")
    follow_ups: list[FollowUpReport] = Field(default_factory=list, description="One entry per follow-up round.")

    def count(self, outcome: str) -> int:
        """How many signals ended with `outcome`."""
        return sum(1 for item in self.outcomes if item.outcome == outcome)


def _handle(store: Store, signal_id: str, policy: Policy, llm: BaseChatModel | None) -> PredraftOutcome:
    """`ensure_draft`, with any unexpected failure logged and reported instead of raised."""
    try:
        return ensure_draft(store, signal_id=signal_id, policy=policy, llm=llm)
    except psycopg.Error as err:
        logger.error("pre-drafting %s: database error: %s", signal_id, err)
        return PredraftOutcome(signal_id=signal_id, outcome="failed", error=f"database error: {err}")
    except Exception as err:  # a daemon must outlive one bad signal; the traceback goes to the log
        logger.exception("pre-drafting %s failed unexpectedly", signal_id)
        return PredraftOutcome(signal_id=signal_id, outcome="failed", error=f"{type(err).__name__}: {err}")


def catch_up(store: Store, *, policy: Policy, llm: BaseChatModel | None = None) -> list[PredraftOutcome]:
    """Pre-draft every open escalation that has no response yet (oldest first)."""
    return [_handle(store, signal_id, policy, llm) for signal_id in pending_signal_ids(store)]


def _listen(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


class _FollowUpRounds:
    """The worker's follow-up rounds: the first at once, then every `every` seconds (none without settings)."""

    def __init__(self, store: Store, *, settings: Settings | None, policy: Policy, every: float, report: WorkerReport,
                 on_follow_up: Callable[[FollowUpReport], None] | None) -> None:
        self._store, self._settings, self._policy, self._every = store, settings, policy, every
        self._report, self._on_follow_up = report, on_follow_up
        self._next = time.monotonic()

    def run_if_due(self) -> None:
        """Run a round when one is due; report it."""
        if self._settings is None or time.monotonic() < self._next:
            return
        done = follow_up(self._store, settings=self._settings, policy=self._policy, draft_due=True)
        self._report.follow_ups.append(done)
        if self._on_follow_up is not None:
            self._on_follow_up(done)
        self._next = time.monotonic() + self._every


def run_worker(
    store: Store,
    *,
    policy: Policy,
    llm: BaseChatModel | None = None,
    once: bool = False,
    timeout: float | None = None,
    stop: threading.Event | None = None,
    on_outcome: Callable[[PredraftOutcome], None] | None = None,
    on_listening: Callable[[], None] | None = None,
    settings: Settings | None = None,
    follow_up_every: float = FOLLOW_UP_SECONDS,
    on_follow_up: Callable[[FollowUpReport], None] | None = None,
) -> WorkerReport:
    """Listen for new open escalations and pre-draft them until stopped; follow up on sent ones.

    Args:
        store: The database (its pool does the drafting; the listener has a connection of its own).
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        once: Only catch up on open escalations without a response, then return.
        timeout: Stop listening after this many seconds (default: run until `stop` is set).
        stop: Set it to stop the worker (checked at least once a second).
        on_outcome: Called with each signal's outcome as it happens.
        on_listening: Called once the listener is connected (before the catch-up scan).
        settings: With settings, a follow-up round (`workflow.followthrough.rounds.follow_up`: catch-up
            on sent responses, drafting the status updates that are due, Gmail replies, outcomes)
            runs after the catch-up scan and then every `follow_up_every` seconds.
        follow_up_every: Seconds between follow-up rounds.
        on_follow_up: Called with each follow-up round's report.
    """
    report = WorkerReport()
    stop = stop or threading.Event()
    deadline = None if timeout is None else time.monotonic() + timeout

    def record(outcome: PredraftOutcome) -> None:
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    def remaining() -> float:
        return _POLL_SECONDS if deadline is None else min(_POLL_SECONDS, deadline - time.monotonic())

    rounds = _FollowUpRounds(store, settings=settings, policy=policy, every=follow_up_every, report=report,
                             on_follow_up=on_follow_up)
    listener: psycopg.Connection[Any] | None = None
    try:
        while not stop.is_set() and remaining() > 0:
            if listener is None:
                try:
                    listener = _listen(store.url)  # LISTEN before catching up: nothing slips in between
                except psycopg.OperationalError as err:
                    logger.error("cannot listen on %s: %s; retrying", CHANNEL, err)
                    stop.wait(min(_RECONNECT_DELAY_SECONDS, max(remaining(), 0)))
                    continue
                if on_listening is not None:
                    on_listening()
                    on_listening = None
                for outcome in catch_up(store, policy=policy, llm=llm):
                    record(outcome)
                rounds.run_if_due()
                if once:
                    break
            try:
                for notice in listener.notifies(timeout=max(remaining(), 0.01)):
                    record(_handle(store, notice.payload, policy, llm))
                    if stop.is_set():
                        break
                rounds.run_if_due()
            except psycopg.OperationalError as err:
                logger.error("lost the %s listener: %s; reconnecting", CHANNEL, err)
                listener.close()
                listener = None
    finally:
        if listener is not None:
            listener.close()
    return report
