"""What happens once a response is sent: plan, clock, brief, outcome (the one post-send hook).

`follow_through` runs right after a send is recorded, and again from the worker or `escalation
sync` for any sent response it has not handled (a crash, a send settled by reconcile). It is
idempotent: one transaction under the response's row lock records

- for a first response: its action plan as a save play, its brief (to publish), its outcome row;
- for every kind: the update clock of the thread (`next_update_due` on this message, cleared on
  the earlier ones), or, for a closing email, no clock and the recorded plan completed;

then publishes the brief. It never raises for an expected failure: the email is already out.
"""

from __future__ import annotations

import logging
from datetime import datetime

import psycopg
from pydantic import BaseModel, Field, ValidationError

from ...auth.actor import FOLLOW_THROUGH
from ...config import Settings
from ...errors import EscalationError
from ...insights.outcomes import record_outcomes_on
from ...store import Store
from ...store.responses import Conn, Row, audit, load_response
from ...utc import utcnow
from ..policy import Policy
from .brief import compose_brief, publish_briefs, queue_brief
from .clock import update_due_after_send
from .plan import complete_plan, record_plan

__all__ = ["FollowThrough", "follow_through", "follow_through_pending"]

FOLLOW_THROUGH_ENTITY = "follow_through"  # audited apart from the response's own state changes
logger = logging.getLogger(__name__)


class FollowThrough(BaseModel):
    """What was recorded after a send."""

    response_id: str = Field(description="The sent response.")
    next_update_due: datetime | None = Field(default=None, description="When the next update is owed (None: no clock).")
    save_play_id: str | None = Field(default=None, description="The action plan recorded as a save play.")
    brief_path: str | None = Field(default=None, description="The Markdown brief, once written.")
    brief_doc_url: str | None = Field(default=None, description="The brief's Google Doc, when configured.")


def _is_latest(conn: Conn, row: Row) -> bool:
    later = conn.execute(
        "SELECT 1 FROM escalation_responses WHERE risk_signal_id = %s AND status = 'sent' AND id <> %s"
        " AND (sent_at, id) > (%s, %s) LIMIT 1",
        (row["risk_signal_id"], row["id"], row["sent_at"], row["id"]),
    ).fetchone()
    return later is None


def _record(conn: Conn, row: Row, *, policy: Policy, brief: tuple[str, str] | None, now: datetime) -> None:
    """Plan, clock, brief and outcome of a sent response, inside the caller's transaction."""
    resolved = conn.execute("SELECT status FROM risk_signals WHERE id = %s FOR UPDATE",
                            (row["risk_signal_id"],)).fetchone()["status"] == "resolved"
    if row["kind"] == "first":
        record_plan(conn, row=row, sent_at=row["sent_at"])
        if brief is not None:
            queue_brief(conn, response_id=row["id"], title=brief[0], markdown=brief[1], now=now)
        record_outcomes_on(conn, response_ids=[row["id"]], now=now, learning=policy.learning)
    if row["kind"] == "closing":
        complete_plan(conn, signal_id=row["risk_signal_id"])
    due = None
    if _is_latest(conn, row):
        conn.execute("UPDATE escalation_responses SET next_update_due = NULL WHERE risk_signal_id = %s AND id <> %s",
                     (row["risk_signal_id"], row["id"]))
        if row["kind"] != "closing" and not (row["kind"] == "first" and resolved):
            due = update_due_after_send(row, policy=policy, sent_at=row["sent_at"])
    conn.execute("UPDATE escalation_responses SET next_update_due = %s, followed_through_at = %s WHERE id = %s",
                 (due, now, row["id"]))
    audit(conn, actor=FOLLOW_THROUGH.audit_id(None), entity=FOLLOW_THROUGH_ENTITY, entity_id=row["id"], action="recorded",
          detail={"kind": row["kind"], "next_update_due": due.isoformat() if due else None,
                  "save_play_id": f"sp-{row['id']}" if row["kind"] == "first" else None}, now=now)


def _brief(store: Store, row: Row, *, policy: Policy, transport: str | None) -> tuple[str, str] | None:
    """The brief of a first response, or None (logged) when its stored draft cannot be read."""
    try:
        return compose_brief(store, row=row, policy=policy, transport=transport)
    except ValidationError as err:
        logger.warning("no brief for %s: its stored draft is incomplete (%s)", row["id"], err.error_count())
        return None


def _summary(store: Store, response_id: str) -> FollowThrough:
    with store.connection() as conn:
        found = conn.execute(
            "SELECT r.id, r.next_update_due, p.id AS play, b.path, b.doc_url FROM escalation_responses r"
            " LEFT JOIN save_plays p ON p.source_response_id = r.id"
            " LEFT JOIN escalation_briefs b ON b.response_id = r.id WHERE r.id = %s",
            (response_id,),
        ).fetchone()
    return FollowThrough(response_id=found["id"], next_update_due=found["next_update_due"], save_play_id=found["play"],
                         brief_path=found["path"], brief_doc_url=found["doc_url"])


def follow_through(store: Store, *, response_id: str, policy: Policy, settings: Settings,
                   transport: str | None = None, now: datetime | None = None) -> FollowThrough | None:
    """Record the follow-through of a sent response (once) and publish its brief.

    Args:
        store: The database.
        response_id: A response in state `sent` (anything else: nothing happens, None).
        policy: The SLA cadence.
        settings: Where briefs go (Markdown folder, Google Docs).
        transport: The mail transport that sent it (links in the brief).
        now: Clock override for the records.

    Returns:
        What is recorded, or None when the response is not sent or the recording failed (logged;
        the worker tries again).
    """
    moment = utcnow(now)
    try:
        with store.connection() as conn:
            row = load_response(conn, response_id)
        if row["status"] != "sent":
            return None
        if row["followed_through_at"] is None:
            brief = _brief(store, row, policy=policy, transport=transport) if row["kind"] == "first" else None
            with store.transaction() as conn:
                row = load_response(conn, response_id, lock=True)
                if row["followed_through_at"] is None:
                    _record(conn, row, policy=policy, brief=brief, now=moment)
        publish_briefs(store, settings=settings, response_ids=[response_id], now=moment)
        return _summary(store, response_id)
    except (EscalationError, psycopg.Error, ValidationError) as err:  # the email is out: never fail the send
        logger.error("follow-through of %s not recorded: %s", response_id, err)
        return None


def follow_through_pending(store: Store, *, policy: Policy, settings: Settings,
                           now: datetime | None = None) -> list[FollowThrough]:
    """Follow through every sent response not yet handled, then publish briefs still pending."""
    with store.connection() as conn:
        ids = [r["id"] for r in conn.execute(
            "SELECT id FROM escalation_responses WHERE status = 'sent' AND followed_through_at IS NULL"
            " ORDER BY sent_at, id")]
    done = [f for f in (follow_through(store, response_id=i, policy=policy, settings=settings, now=now)
                        for i in ids) if f is not None]
    publish_briefs(store, settings=settings, now=now)
    return done
