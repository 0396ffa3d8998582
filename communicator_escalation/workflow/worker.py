"""Background pre-drafting: every new open escalation gets a draft before the CSM asks for one.

A trigger on `risk_signals` (migration 0011) sends ``NOTIFY escalation_signal_opened, '<signal id>'``
when an open escalation is inserted, by a world load, the API or plain SQL. `run_worker` LISTENs on
a dedicated autocommit connection and drafts each one with `create_response`; at start (and after a
lost connection) it first catches up on open escalations that have no response yet.

The worker drafts in batches (`predraft_batch`): one transaction claims up to BATCH_SIZE pending
signals with `pg_try_advisory_xact_lock` (a signal another worker or a draft request holds is skipped,
like `FOR UPDATE SKIP LOCKED`), checks again that they have no response, reads all their contexts with
one set of queries (`gather_contexts`), drafts each, and saves the drafts in that same transaction,
so the locks are released only once the responses are visible.

Exactly one draft per signal, however many workers run: every path takes the PostgreSQL advisory
lock keyed by the signal id, then checks for an existing response before drafting. The same lock
serialises the API's "open the prepared draft or make one" path (`open_draft`, and `ensure_draft` for
one signal), so the alert's "Escalation Response" quick action and the worker never produce two
drafts for one signal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

import psycopg
from pydantic import BaseModel, Field

from ..errors import CustomerNotFound, EscalationError
from ..models import ESCALATION_SIGNAL_TYPES, Draft, RiskSignal
from ..store import Store
from .context import gather_contexts, select_escalation
from .policy import Policy
from .responses import compose_draft, create_response, load_draft, save_draft_on

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "CHANNEL",
    "WORKER_ACTOR",
    "PredraftOutcome",
    "WorkerReport",
    "catch_up",
    "ensure_draft",
    "open_draft",
    "predraft_batch",
    "run_worker",
]

CHANNEL = "escalation_signal_opened"
WORKER_ACTOR = "system:worker"
_LOCK_NAMESPACE = 29_029  # first key of the two-key advisory lock; the second is hashtext(signal id)
BATCH_SIZE = 32
_RECONNECT_DELAY_SECONDS = 2.0
_POLL_SECONDS = 1.0

logger = logging.getLogger(__name__)


class PredraftOutcome(BaseModel):
    """What `ensure_draft` did for one signal."""

    signal_id: str = Field(description="Risk signal id.")
    outcome: Literal["drafted", "exists", "not_open", "failed"] = Field(
        description="drafted now; a response already exists; not an open escalation (any more); or failed."
    )
    response_id: str | None = Field(default=None, description="The new or existing response id.")
    error: str | None = Field(default=None, description="Why drafting failed.")


class WorkerReport(BaseModel):
    """What a worker run did."""

    outcomes: list[PredraftOutcome] = Field(default_factory=list, description="One entry per signal handled.")

    def count(self, outcome: str) -> int:
        """How many signals ended with `outcome`."""
        return sum(1 for item in self.outcomes if item.outcome == outcome)


@contextmanager
def _signal_lock(store: Store, signal_id: str) -> Iterator[None]:
    """Hold the advisory lock of `signal_id` (session level, on a connection of its own)."""
    with store.connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))


def _newest_response(store: Store, *, signal_id: str, status: str | None = None) -> str | None:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT id FROM escalation_responses WHERE risk_signal_id = %(signal)s"
            " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY created_at DESC, id DESC LIMIT 1",
            {"signal": signal_id, "status": status},
        ).fetchone()
    return row["id"] if row else None


def _is_open_escalation(store: Store, *, signal_id: str) -> bool:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT 1 FROM risk_signals WHERE id = %s AND status = 'open' AND signal_type = ANY(%s)"
            " AND response_sent_at IS NULL",
            (signal_id, list(ESCALATION_SIGNAL_TYPES)),
        ).fetchone()
    return row is not None


def ensure_draft(
    store: Store, *, signal_id: str, policy: Policy, llm: BaseChatModel | None = None, now: datetime | None = None
) -> PredraftOutcome:
    """Draft a response for `signal_id` unless one exists; never raises for an expected failure.

    Args:
        store: The database.
        signal_id: The risk signal to pre-draft.
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).
    """
    with _signal_lock(store, signal_id):
        existing = _newest_response(store, signal_id=signal_id)
        if existing is not None:
            return PredraftOutcome(signal_id=signal_id, outcome="exists", response_id=existing)
        if not _is_open_escalation(store, signal_id=signal_id):
            return PredraftOutcome(signal_id=signal_id, outcome="not_open")
        try:
            draft = create_response(store, signal_id=signal_id, policy=policy, llm=llm, actor=WORKER_ACTOR, now=now)
        except EscalationError as err:
            logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
            return PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message)
    logger.info("pre-drafted %s as response %s", signal_id, draft.response_id)
    return PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=draft.response_id)


def _choose_signal(store: Store, *, customer_id: str, signal_id: str | None) -> str:
    """The escalation a customer-scoped request is about: `signal_id` (which must be the customer's),
    else the customer's most urgent open escalation."""
    columns = ", ".join(RiskSignal.model_fields)
    with store.connection() as conn:
        customer = conn.execute("SELECT name FROM customers WHERE id = %s", (customer_id,)).fetchone()
        if customer is None:
            raise CustomerNotFound(f"customer '{customer_id}' not found")
        rows = conn.execute(f"SELECT {columns} FROM risk_signals WHERE customer_id = %s", (customer_id,)).fetchall()
    selection = select_escalation(
        signals=[RiskSignal(**row) for row in rows], customer_name=customer["name"], signal_id=signal_id
    )
    return selection.escalation.id


def open_draft(
    store: Store,
    *,
    customer_id: str,
    policy: Policy,
    signal_id: str | None = None,
    llm: BaseChatModel | None = None,
    instructions: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> tuple[Draft, bool]:
    """The prepared draft of a customer's escalation, or a new one; returns (draft, created).

    The escalation is `signal_id` (it must belong to the customer), else the customer's most urgent
    open one. The newest response of it still in `drafted` state (the worker's pre-draft, or a draft
    the CSM is editing) is returned as it stands, so the alert's quick action opens at once. With
    `instructions`, or when there is no such draft, a new draft is made.

    Raises:
        CustomerNotFound: No such customer.
        NotFound: `signal_id` is not a signal of this customer.
        NoOpenEscalation / NotAnEscalation: Nothing to answer.
    """
    chosen = _choose_signal(store, customer_id=customer_id, signal_id=signal_id)
    with _signal_lock(store, chosen):
        prepared = None if instructions else _newest_response(store, signal_id=chosen, status="drafted")
        if prepared is not None:
            return load_draft(store, response_id=prepared), False
        draft = create_response(
            store, signal_id=chosen, policy=policy, llm=llm, instructions=instructions, actor=actor, now=now
        )
    return draft, True


_PENDING = (
    "s.status = 'open' AND s.signal_type = ANY(%(types)s) AND s.response_sent_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM escalation_responses r WHERE r.risk_signal_id = s.id)"
)
Cursor = tuple[datetime, str]


def _claim(conn: psycopg.Connection[dict[str, Any]], *, after: Cursor | None, ids: list[str] | None,
           limit: int) -> tuple[list[str], Cursor | None]:
    """Lock (for this transaction) up to `limit` pending signals: the given `ids`, else the oldest after
    `after`; returns the ids locked and the cursor past every signal looked at."""
    rows = conn.execute(
        "SELECT id, detected_at, pg_try_advisory_xact_lock(%(ns)s, hashtext(id)) AS mine FROM ("
        f" SELECT s.id, s.detected_at FROM risk_signals s WHERE {_PENDING}"
        " AND (%(ids)s::text[] IS NULL OR s.id = ANY(%(ids)s::text[]))"
        " AND (s.detected_at, s.id) > (%(at)s, %(id)s) ORDER BY s.detected_at, s.id LIMIT %(limit)s"
        ") pending ORDER BY detected_at, id",
        {"ns": _LOCK_NAMESPACE, "types": list(ESCALATION_SIGNAL_TYPES), "ids": ids, "limit": limit,
         "at": after[0] if after else datetime.min.replace(tzinfo=timezone.utc), "id": after[1] if after else ""},
    ).fetchall()
    if not rows:
        return [], None
    claimed = [row["id"] for row in rows if row["mine"]]
    if claimed:  # a fresh snapshot: a worker that held one of these may have committed its draft since
        still = conn.execute(f"SELECT s.id FROM risk_signals s WHERE s.id = ANY(%(ids)s) AND {_PENDING}",
                             {"ids": claimed, "types": list(ESCALATION_SIGNAL_TYPES)}).fetchall()
        claimed = [i for i in claimed if i in {row["id"] for row in still}]
    return claimed, (rows[-1]["detected_at"], rows[-1]["id"])


def _draft_all(conn: psycopg.Connection[dict[str, Any]], store: Store, signal_ids: list[str], policy: Policy,
               llm: BaseChatModel | None) -> list[PredraftOutcome]:
    """Draft the claimed signals from contexts read together; save each in the claiming transaction."""
    outcomes = []
    now = datetime.now(timezone.utc)
    for signal_id, ctx in gather_contexts(store, signal_ids=signal_ids, now=now).items():
        try:
            if isinstance(ctx, EscalationError):
                raise ctx
            draft = save_draft_on(conn, compose_draft(ctx, policy=policy, llm=llm), actor=WORKER_ACTOR, now=now)
        except EscalationError as err:
            logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
            outcomes.append(PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message))
            continue
        logger.info("pre-drafted %s as response %s", signal_id, draft.response_id)
        outcomes.append(PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=draft.response_id))
    return outcomes


def predraft_batch(
    store: Store, *, policy: Policy, llm: BaseChatModel | None = None, signal_ids: list[str] | None = None,
    after: Cursor | None = None, limit: int = BATCH_SIZE,
) -> tuple[list[PredraftOutcome], Cursor | None]:
    """Claim and pre-draft one batch of pending escalations (`signal_ids`, or the oldest after `after`).

    Returns:
        The outcomes, and the cursor to continue from (None when nothing was pending after `after`).
    """
    try:
        with store.transaction() as conn:
            claimed, cursor = _claim(conn, after=after, ids=signal_ids, limit=limit)
            outcomes = _draft_all(conn, store, claimed, policy, llm) if claimed else []
    except psycopg.Error as err:
        logger.error("pre-drafting a batch: database error: %s", err)
        return [PredraftOutcome(signal_id=i, outcome="failed", error=f"database error: {err}")
                for i in signal_ids or []], None
    return outcomes, cursor


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
) -> WorkerReport:
    """Listen for new open escalations and pre-draft them until stopped.

    Args:
        store: The database (its pool does the drafting; the listener has a connection of its own).
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        once: Only catch up on open escalations without a response, then return.
        timeout: Stop listening after this many seconds (default: run until `stop` is set).
        stop: Set it to stop the worker (checked at least once a second).
        on_outcome: Called with each signal's outcome as it happens.
        on_listening: Called once the listener is connected (before the catch-up scan).
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
                for outcome in catch_up(store, policy=policy, llm=llm, stop=stop):
                    record(outcome)
                if once:
                    break
            try:
                ids = [n.payload for n in listener.notifies(timeout=max(remaining(), 0.01), stop_after=1)]
                if ids:  # then whatever else has arrived, up to a batch
                    ids += [n.payload for n in listener.notifies(timeout=0.01, stop_after=BATCH_SIZE - 1)]
                    for outcome in predraft_batch(store, policy=policy, llm=llm, signal_ids=ids)[0]:
                        record(outcome)
            except psycopg.OperationalError as err:
                logger.error("lost the %s listener: %s; reconnecting", CHANNEL, err)
                listener.close()
                listener = None
    finally:
        if listener is not None:
            listener.close()
    return report
