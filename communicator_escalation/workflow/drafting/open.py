"""Open the prepared draft of an escalation, or make one: the one drafting path of every door.

`open_or_create_draft` resolves the escalation among the customers the actor may reach, takes a
PostgreSQL advisory lock keyed by the signal id, and returns the newest response of it still in
`drafted` state (the worker's pre-draft, or a draft the CSM is editing) unless the caller asks for a
new one. The CLI (`escalation draft`), the API's draft endpoint, the agent's draft tool and the
worker's pre-draft (`ensure_draft`) all call it, so one signal never gets two drafts by accident.

A request holds one pooled connection at a time: the lock is taken on the connection that then does
the work (resolve, gather, save), never on a second one, so concurrent drafts cannot starve the pool.

The worker pre-drafts in batches (`predraft_batch`): on one connection it claims up to BATCH_SIZE
pending signals with `pg_try_advisory_lock` on the same per-signal key (a signal another worker or a
draft request holds is skipped, like `FOR UPDATE SKIP LOCKED`), checks on a fresh snapshot that they
still have no response, reads all their contexts in one read-only snapshot with one set of queries
(`gather_contexts_on`), drafts each, saves the drafts in one transaction and only then releases the
locks. A draft request waiting on one of those locks then opens the worker's draft instead of making
a second one; a batch that finds a request's lock taken leaves that signal to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import acting_staff
from ...auth.actor import WORKER, Actor
from ...errors import EscalationError, NoOpenEscalation, NotAnEscalation, NotFound, error_text
from ...models import ESCALATION_SIGNAL_TYPES, Draft, EscalationContext
from ...store import Store
from ...store.responses import Conn
from ..context.gather import gather_contexts_on
from ..context.target import choose_escalation
from ..policy import Policy
from .responses import compose_and_save, compose_draft, load_draft_on, save_draft_on
from ...utc import utcnow

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "BATCH_SIZE",
    "Cursor",
    "OpenedDraft",
    "PredraftOutcome",
    "ensure_draft",
    "open_or_create_draft",
    "predraft_batch",
    "signal_lock",
]

_LOCK_NAMESPACE = 29_029  # first key of the two-key advisory lock; the second is hashtext(signal id)
BATCH_SIZE = 32
Cursor = tuple[datetime, str]  # (detected_at, id) of the last pending signal a batch looked at

logger = logging.getLogger(__name__)


class OpenedDraft(BaseModel):
    """The draft a request opened, and whether it was made for this request."""

    draft: Draft = Field(description="The draft, with its current To, CC, subject and body.")
    created: bool = Field(description="True when drafted now; False when an existing draft was opened.")


class PredraftOutcome(BaseModel):
    """What `ensure_draft` did for one signal."""

    signal_id: str = Field(description="Risk signal id.")
    outcome: Literal["drafted", "exists", "not_open", "failed"] = Field(
        description="drafted now; a response already exists; not an open escalation (any more); or failed."
    )
    response_id: str | None = Field(default=None, description="The new or existing response id.")
    error: str | None = Field(default=None, description="Why drafting failed.")


@contextmanager
def signal_lock(conn: Conn, signal_id: str) -> Iterator[None]:
    """Hold the advisory lock of `signal_id` on `conn`, the connection that does the work under it (a first
    response's draft and a status update's draft of one escalation take the same lock)."""
    conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_NAMESPACE, signal_id))


def _newest_response(conn: Conn, *, signal_id: str, status: str | None = None) -> str | None:
    row = conn.execute(
        "SELECT id FROM escalation_responses WHERE risk_signal_id = %(signal)s AND kind = 'first'"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY created_at DESC, id DESC LIMIT 1",
        {"signal": signal_id, "status": status},
    ).fetchone()
    return row["id"] if row else None


def _require_open(conn: Conn, *, signal_id: str) -> None:
    """Refuse a signal that is no longer an open, unanswered escalation (pre-drafting only)."""
    row = conn.execute(
        "SELECT 1 FROM risk_signals WHERE id = %s AND status = 'open' AND signal_type = ANY(%s)"
        " AND response_sent_at IS NULL",
        (signal_id, list(ESCALATION_SIGNAL_TYPES)),
    ).fetchone()
    if row is None:
        raise NoOpenEscalation("context.no_longer_open", signal_id=signal_id)


def open_or_create_draft(
    store: Store,
    *,
    actor: Actor,
    policy: Policy,
    customer: str | None = None,
    signal_id: str | None = None,
    instructions: str | None = None,
    new: bool = False,
    predraft: bool = False,
    llm: BaseChatModel | None = None,
    now: datetime | None = None,
) -> OpenedDraft:
    """The prepared draft of an escalation, or a new one.

    The escalation is `signal_id` (the customer's, when `customer` is given too), else the most urgent
    open escalation of the customer `customer` names; a staff member finds only the customers they may
    reach. Under the signal's lock, the newest response of it still in `drafted` state is opened as it
    stands, unless `instructions` or `new` ask for a new draft (or there is none).

    Args:
        store: The database.
        actor: Who drafts (recorded in the audit log; a staff member is held to the access rule).
        policy: SLA and relationship policy.
        customer: What the CSM typed to name the customer (id, name or part of a name).
        signal_id: A specific escalation signal.
        instructions: Free-text CSM guidance for the rewrite; always makes a new draft.
        new: Make a new draft even when one is open.
        predraft: The worker's pre-draft: open any existing response of the signal (whatever its state)
            and refuse a signal that is no longer an open, unanswered escalation.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).

    Raises:
        CustomerNotFound, AmbiguousCustomer, NoOpenEscalation, NotFound, NotAnEscalation, InvalidRequest.
    """
    with store.connection() as conn:
        staff = acting_staff(conn, actor)
        chosen = choose_escalation(conn, actor=staff, customer=customer, signal_id=signal_id).id
        with signal_lock(conn, chosen):
            reusable = None if predraft else "drafted"
            prepared = None if new or instructions else _newest_response(conn, signal_id=chosen, status=reusable)
            if prepared is not None:
                return OpenedDraft(draft=load_draft_on(conn, response_id=prepared, policy=policy.email), created=False)
            if predraft:
                _require_open(conn, signal_id=chosen)
            draft = compose_and_save(
                conn, actor=actor, signal_id=chosen, policy=policy, llm=llm, instructions=instructions, now=now
            )
    return OpenedDraft(draft=draft, created=True)


def ensure_draft(
    store: Store, *, signal_id: str, policy: Policy, llm: BaseChatModel | None = None, now: datetime | None = None
) -> PredraftOutcome:
    """The worker's pre-draft of `signal_id` unless it has a response; never raises for an expected failure.

    Args:
        store: The database.
        signal_id: The risk signal to pre-draft.
        policy: The escalation policy.
        llm: Optional chat model for the grounded rewrite.
        now: The moment to draft at (default: the current time).
    """
    try:
        opened = open_or_create_draft(
            store, actor=WORKER, signal_id=signal_id, policy=policy, predraft=True, llm=llm, now=now
        )
    except (NoOpenEscalation, NotAnEscalation, NotFound):
        return PredraftOutcome(signal_id=signal_id, outcome="not_open")
    except EscalationError as err:
        logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
        return PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message)
    response_id = opened.draft.response_id
    if not opened.created:
        return PredraftOutcome(signal_id=signal_id, outcome="exists", response_id=response_id)
    logger.info("pre-drafted %s as response %s", signal_id, response_id)
    return PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=response_id)


_PENDING = (
    "s.status = 'open' AND s.signal_type = ANY(%(types)s) AND s.response_sent_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM escalation_responses r WHERE r.risk_signal_id = s.id)"
)


def _claim(conn: Conn, *, after: Cursor | None, ids: list[str] | None, limit: int) -> tuple[list[str], Cursor | None]:
    """Lock (on `conn`'s session) up to `limit` pending signals: the given `ids`, else the oldest after
    `after`; returns the ids locked and still pending, and the cursor past every signal looked at."""
    rows = conn.execute(
        "SELECT id, detected_at, pg_try_advisory_lock(%(ns)s, hashtext(id)) AS mine FROM ("
        f" SELECT s.id, s.detected_at FROM risk_signals s WHERE {_PENDING}"
        " AND (%(ids)s::text[] IS NULL OR s.id = ANY(%(ids)s::text[]))"
        " AND (s.detected_at, s.id) > (%(at)s, %(id)s) ORDER BY s.detected_at, s.id LIMIT %(limit)s"
        ") pending ORDER BY detected_at, id",
        {"ns": _LOCK_NAMESPACE, "types": list(ESCALATION_SIGNAL_TYPES), "ids": ids, "limit": limit,
         "at": after[0] if after else datetime.min.replace(tzinfo=timezone.utc), "id": after[1] if after else ""},
    ).fetchall()
    if not rows:
        return [], None
    locked = [row["id"] for row in rows if row["mine"]]
    claimed: list[str] = []
    if locked:  # a fresh snapshot: whoever held one of these may have committed its draft since
        still = conn.execute(f"SELECT s.id FROM risk_signals s WHERE s.id = ANY(%(ids)s) AND {_PENDING}",
                             {"ids": locked, "types": list(ESCALATION_SIGNAL_TYPES)}).fetchall()
        pending = {row["id"] for row in still}
        claimed = [i for i in locked if i in pending]
        answered = [i for i in locked if i not in pending]
        if answered:  # let go at once of what needs no draft
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(id)) FROM unnest(%s::text[]) AS id",
                         (_LOCK_NAMESPACE, answered))
    return claimed, (rows[-1]["detected_at"], rows[-1]["id"])


def _compose_each(
    contexts: dict[str, EscalationContext | EscalationError], policy: Policy, llm: BaseChatModel | None
) -> tuple[dict[str, Draft], list[PredraftOutcome]]:
    """A draft per context; a signal that cannot be drafted is reported and the others go on."""
    drafts: dict[str, Draft] = {}
    failed: list[PredraftOutcome] = []
    for signal_id, ctx in contexts.items():
        try:
            if isinstance(ctx, EscalationError):
                raise ctx
            drafts[signal_id] = compose_draft(ctx, policy=policy, llm=llm)
        except EscalationError as err:
            logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
            failed.append(PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message))
        except Exception as err:  # a daemon must outlive one bad signal; the traceback goes to the log
            logger.exception("pre-drafting %s failed unexpectedly", signal_id)
            failed.append(PredraftOutcome(signal_id=signal_id, outcome="failed", error=f"{type(err).__name__}: {err}"))
    return drafts, failed


def _draft_claimed(conn: Conn, signal_ids: list[str], policy: Policy, llm: BaseChatModel | None) -> list[PredraftOutcome]:
    """Draft the claimed signals from contexts read together; save the drafts in one transaction."""
    now = utcnow()
    contexts = gather_contexts_on(conn, signal_ids=signal_ids, now=now)
    drafts, outcomes = _compose_each(contexts, policy, llm)
    with conn.transaction():
        for signal_id, draft in drafts.items():
            try:
                saved = save_draft_on(conn, draft, actor=WORKER.audit_id(None), now=now)
            except EscalationError as err:
                logger.warning("pre-drafting %s failed: %s", signal_id, err.message)
                outcomes.append(PredraftOutcome(signal_id=signal_id, outcome="failed", error=err.message))
                continue
            logger.info("pre-drafted %s as response %s", signal_id, saved.response_id)
            outcomes.append(PredraftOutcome(signal_id=signal_id, outcome="drafted", response_id=saved.response_id))
    return outcomes


def predraft_batch(
    store: Store, *, policy: Policy, llm: BaseChatModel | None = None, signal_ids: list[str] | None = None,
    after: Cursor | None = None, limit: int = BATCH_SIZE,
) -> tuple[list[PredraftOutcome], Cursor | None]:
    """The worker's pre-draft of one batch of pending escalations (`signal_ids`, or the oldest after `after`).

    Signals that have a response, are not open escalations (any more) or are locked by another worker or
    a draft request are left alone (no outcome). Acts as the worker, on one pooled connection.

    Returns:
        The outcomes, and the cursor to continue from (None when nothing was pending after `after`, or
        after a database error, reported as a failure of the signals it concerned).
    """
    claimed: list[str] = []
    try:
        with store.connection() as conn:
            try:
                claimed, cursor = _claim(conn, after=after, ids=signal_ids, limit=limit)
                outcomes = _draft_claimed(conn, claimed, policy, llm) if claimed else []
            finally:  # the batch's locks, whatever happened: none may stay on a pooled connection
                conn.execute("SELECT pg_advisory_unlock_all()")
    except psycopg.Error as err:
        logger.error("pre-drafting a batch: database error: %s", err)
        failed = claimed or signal_ids or []
        return [PredraftOutcome(signal_id=i, outcome="failed", error=error_text("context.database_error", detail=err)) for i in failed], None
    return outcomes, cursor
