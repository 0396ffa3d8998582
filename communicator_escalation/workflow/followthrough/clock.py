"""The update clock: when the next status update of an escalation thread is owed, and which are due.

The cadence is the SLA row's `update_every` for the escalation's severity, counted like every other
promise (`strategy.timeline.next_update`: business time in the customer's timezone unless the row
runs around the clock, rounded down to the quarter hour, never after the resolution target while
that is ahead). A sent message sets the clock to one cadence after its send, or to the earlier time
its own text promised (the next update it announced was computed when it was drafted), so the
customer is never told a time the clock does not keep. Only the latest sent message of a thread
carries the clock; a resolved escalation owes its closing email at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from ...auth.access import acting_staff, visible_customer_ids
from ...auth.actor import Actor
from ...errors import ConfigurationError
from ...models import Milestone
from ...store import Store
from ...store.responses import Conn, Row, Thread
from ...utc import utcnow
from ..policy import Policy
from ..strategy.sla import business_calendar, sla_clock, zone
from ..strategy.timeline import next_update

__all__ = ["DueUpdate", "list_due_updates", "next_update_at", "update_due_after_send"]


def next_update_at(row: Row, *, policy: Policy, now: datetime) -> Milestone:
    """The next update commitment for the escalation of `row`, one cadence from `now`.

    `row` carries the signal's `severity` and `detected_at` and the customer's `customer_timezone`
    and `customer_country` (as `store.responses.load_response` returns them).
    """
    timezone = row["customer_timezone"] or "UTC"
    try:
        tz = zone(timezone)
    except ConfigurationError:
        timezone, tz = "UTC", zone("UTC")
    country = row["customer_country"]
    clock = sla_clock(severity=row["severity"], started_at=row["detected_at"], timezone=timezone, country=country,
                      policy=policy, now=now)
    calendar = business_calendar(timezone=timezone, country=country, policy=policy)
    return next_update(clock=clock, calendar=calendar, policy=policy, tz=tz, now=now)


def update_due_after_send(row: Row, *, policy: Policy, sent_at: datetime) -> datetime:
    """When the next update is owed after `row` was sent at `sent_at`.

    One cadence after the send, or earlier when the message itself promised an earlier time (the
    promise it states was computed at `row["created_at"]`, when it was drafted).
    """
    after_send = next_update_at(row, policy=policy, now=sent_at).due
    promised = next_update_at(row, policy=policy, now=row["created_at"]).due
    assert after_send is not None and promised is not None  # next_update always dates its milestone
    return promised if sent_at < promised < after_send else after_send


class DueUpdate(Thread):
    """A thread whose next status update (or closing email) is owed."""

    response_id: str = Field(description="The latest sent message of the thread; `escalation update` follows it.")
    severity: str = Field(description="Escalation severity.")
    title: str = Field(description="Escalation title.")
    next: Literal["update", "closing"] = Field(description="update, or closing when the escalation is resolved.")
    last_sent_at: datetime = Field(description="When the latest message of the thread was sent.")
    next_update_due: datetime = Field(description="When the next update is (or was) owed.")
    overdue_minutes: int = Field(description="Minutes past due (0 or more) at the time of the listing.")
    is_due: bool = Field(description="True when owed now (due or overdue, or a closing email).")
    draft_id: str | None = Field(default=None, description="An update already drafted for it and not sent yet.")


_DUE_SQL = (
    "SELECT r.id AS response_id, r.customer_id, c.name AS customer_name, r.risk_signal_id, s.severity, s.title,"
    " s.status AS signal_status, r.sent_at AS last_sent_at, r.next_update_due,"
    " (SELECT d.id FROM escalation_responses d WHERE d.follows_response_id = r.id"
    "   AND d.status NOT IN ('sent', 'rejected') ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS draft_id"
    " FROM escalation_responses r JOIN risk_signals s ON s.id = r.risk_signal_id"
    " JOIN customers c ON c.id = r.customer_id"
    " WHERE r.status = 'sent' AND r.next_update_due IS NOT NULL"
)


def _due(row: dict[str, Any], now: datetime) -> DueUpdate:
    closing = row["signal_status"] == "resolved"
    is_due = closing or row["next_update_due"] <= now
    overdue = max(0, int((now - row["next_update_due"]).total_seconds() // 60))
    return DueUpdate(**{k: v for k, v in row.items() if k in DueUpdate.model_fields},
                     next="closing" if closing else "update", overdue_minutes=overdue, is_due=is_due)


def due_updates_on(conn: Conn, *, now: datetime, customer_ids: set[str] | None = None,
                   include_upcoming: bool = False) -> list[DueUpdate]:
    """The threads owing an update at `now` (with `include_upcoming`, every running clock), most overdue first."""
    params: list[Any] = []
    sql = _DUE_SQL
    if customer_ids is not None:
        sql += " AND r.customer_id = ANY(%s)"
        params.append(sorted(customer_ids))
    if not include_upcoming:
        sql += " AND (r.next_update_due <= %s OR s.status = 'resolved')"
        params.append(now)
    rows = conn.execute(sql + " ORDER BY r.next_update_due, r.id", params).fetchall()
    return [_due(row, now) for row in rows]


def list_due_updates(store: Store, *, actor: Actor, now: datetime | None = None,
                     include_upcoming: bool = False) -> list[DueUpdate]:
    """Responses whose next update is due or overdue (a resolved escalation owes its closing email).

    Args:
        store: The database.
        actor: Who looks: a staff member sees the threads of the customers they reach; the account's CSM
            (the operator, a background process) sees every thread.
        now: The moment to judge by (default: now).
        include_upcoming: Also list clocks that are still running.

    Raises:
        NotFound: The actor's staff id is not in the directory.
    """
    moment = utcnow(now)
    with store.connection() as conn:
        staff = acting_staff(conn, actor)
        visible = visible_customer_ids(conn, actor=staff) if staff is not None else None
        return due_updates_on(conn, now=moment, customer_ids=visible, include_upcoming=include_upcoming)
