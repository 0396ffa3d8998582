"""Background pre-drafting: every new open escalation gets a draft before the CSM asks for one.

A trigger on `risk_signals` (migration 0011) sends ``NOTIFY escalation_signal_opened, '<signal id>'``
when an open escalation is inserted, by a world load, the API or plain SQL. `run_worker` LISTENs on
a dedicated autocommit connection and drafts what arrives in batches with `predraft_batch`
(workflow/drafting/open.py: as the worker, under the per-signal lock that `open_or_create_draft`, the
drafting path of every door, takes too); at start (and after a lost connection) it first catches up on
open escalations that have no response yet, batch by batch along a keyset cursor. With settings it
also runs the follow-up round after the send (`workflow.followthrough.rounds`: catch-up on sent
responses, drafting the status updates that are due, Gmail replies, outcomes) after the catch-up and
then every few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import psycopg
from pydantic import BaseModel, Field

from .config import Settings
from .store import Store
from .workflow.drafting.open import BATCH_SIZE, Cursor, PredraftOutcome, predraft_batch
from .workflow.followthrough.rounds import FOLLOW_UP_SECONDS, FollowUpReport, FollowUpSchedule
from .workflow.policy import Policy

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["CHANNEL", "WorkerReport", "catch_up", "run_worker"]

CHANNEL = "escalation_signal_opened"
_RECONNECT_DELAY_SECONDS = 2.0
_POLL_SECONDS = 1.0

logger = logging.getLogger(__name__)


class WorkerReport(BaseModel):
    """What a worker run did."""

    outcomes: list[PredraftOutcome] = Field(default_factory=list, description="One entry per signal handled.")
    follow_ups: list[FollowUpReport] = Field(default_factory=list, description="One entry per follow-up round.")

    def count(self, outcome: str) -> int:
        """How many signals ended with `outcome`."""
        return sum(1 for item in self.outcomes if item.outcome == outcome)


def catch_up(store: Store, *, policy: Policy, llm: BaseChatModel | None = None,
             stop: threading.Event | None = None) -> Iterator[PredraftOutcome]:
    """Pre-draft every open escalation that has no response yet (oldest first), batch by batch."""
    cursor: Cursor | None = None
    while stop is None or not stop.is_set():
        outcomes, cursor = predraft_batch(store, policy=policy, llm=llm, after=cursor)
        yield from outcomes
        if cursor is None:
            return


def _listen(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


def _notified(listener: psycopg.Connection[Any], *, timeout: float) -> list[str]:
    """The signal ids notified: the first within `timeout`, then whatever else has arrived, up to a batch."""
    ids = [n.payload for n in listener.notifies(timeout=timeout, stop_after=1)]
    if ids:
        ids += [n.payload for n in listener.notifies(timeout=0.01, stop_after=BATCH_SIZE - 1)]
    return ids


class _Run:
    """One worker run: its report and callbacks, its deadline, and its follow-up rounds (with settings)."""

    def __init__(self, store: Store, *, policy: Policy, settings: Settings | None, follow_up_every: float,
                 timeout: float | None, on_outcome: Callable[[PredraftOutcome], None] | None,
                 on_follow_up: Callable[[FollowUpReport], None] | None) -> None:
        self.report = WorkerReport()
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.on_outcome, self.on_follow_up = on_outcome, on_follow_up
        self.rounds = None if settings is None else FollowUpSchedule(
            store, settings=settings, policy=policy, every=follow_up_every, on_round=self.followed_up)

    def record(self, outcome: PredraftOutcome) -> None:
        self.report.outcomes.append(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def followed_up(self, done: FollowUpReport) -> None:
        self.report.follow_ups.append(done)
        if self.on_follow_up is not None:
            self.on_follow_up(done)

    def follow_up_if_due(self) -> None:
        if self.rounds is not None:
            self.rounds.run_if_due()

    def remaining(self) -> float:
        return _POLL_SECONDS if self.deadline is None else min(_POLL_SECONDS, self.deadline - time.monotonic())


def _connect_listener(store: Store, run: _Run, stop: threading.Event) -> psycopg.Connection[Any] | None:
    """LISTEN on the channel (before catching up: nothing slips in between); None after a wait when it fails."""
    try:
        return _listen(store.url)
    except psycopg.OperationalError as err:
        logger.error("cannot listen on %s: %s; retrying", CHANNEL, err)
        stop.wait(min(_RECONNECT_DELAY_SECONDS, max(run.remaining(), 0)))
        return None


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
        once: Only catch up on open escalations without a response (and run one follow-up round), then return.
        timeout: Stop listening after this many seconds (default: run until `stop` is set).
        stop: Set it to stop the worker (checked at least once a second).
        on_outcome: Called with each signal's outcome as it happens.
        on_listening: Called once the listener is connected (before the catch-up scan).
        settings: With settings, a follow-up round runs after the catch-up and then every `follow_up_every` s.
        follow_up_every: Seconds between follow-up rounds.
        on_follow_up: Called with each follow-up round's report.
    """
    run = _Run(store, policy=policy, settings=settings, follow_up_every=follow_up_every, timeout=timeout,
               on_outcome=on_outcome, on_follow_up=on_follow_up)
    stop = stop or threading.Event()
    listener: psycopg.Connection[Any] | None = None
    try:
        while not stop.is_set() and run.remaining() > 0:
            if listener is None:
                listener = _connect_listener(store, run, stop)
                if listener is None:
                    continue
                if on_listening is not None:
                    on_listening()
                    on_listening = None
                for outcome in catch_up(store, policy=policy, llm=llm, stop=stop):
                    run.record(outcome)
                run.follow_up_if_due()
                if once:
                    break
            try:
                ids = _notified(listener, timeout=max(run.remaining(), 0.01))
                for outcome in predraft_batch(store, policy=policy, llm=llm, signal_ids=ids)[0] if ids else []:
                    run.record(outcome)
                run.follow_up_if_due()
            except psycopg.OperationalError as err:
                logger.error("lost the %s listener: %s; reconnecting", CHANNEL, err)
                listener.close()
                listener = None
    finally:
        if listener is not None:
            listener.close()
    return run.report
