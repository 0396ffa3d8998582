"""The reads of Step 1, for one customer or many at once: each is one index lookup with `= ANY(ids)`.

`gather_context` reads one escalation's context with them; the worker reads the contexts of a whole
batch of escalations with the same statements (the same number of queries for 1 or 50 signals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from pydantic import BaseModel

from ...models import Contact, HealthPoint, RiskSignal, StaffMember
from .target import SIGNAL_COLUMNS

__all__ = [
    "CLOSED_SAVE_PLAY_STATUSES",
    "SPECIALIST_ROLES",
    "build",
    "fetch_communications",
    "fetch_contacts",
    "fetch_customers",
    "fetch_health",
    "fetch_save_plays",
    "fetch_signals",
    "fetch_signals_by_id",
    "fetch_staff",
    "fetch_tickets",
]

CLOSED_SAVE_PLAY_STATUSES = ("completed", "closed", "cancelled", "canceled", "done")
SPECIALIST_ROLES = ("engineering_manager", "security_officer", "billing_specialist")

M = TypeVar("M", bound=BaseModel)
Conn = psycopg.Connection[dict[str, Any]]
Rows = dict[str, list[dict[str, Any]]]

_STAFF_COLUMNS = "id, name, email, role, title, phone, timezone, manager_id"
_COMMUNICATION_COLUMNS = (
    "id, customer_id, channel, direction, at, subject, body, contact_id, staff_id, thread_id, message_id"
)


def build(model: type[M], row: Mapping[str, Any], **extra: Any) -> M:
    """A model from the row's columns that the model has (metadata and joins are ignored)."""
    return model.model_validate({key: row[key] for key in model.model_fields if key in row} | extra)


def _grouped(rows: Iterable[dict[str, Any]], key: str = "customer_id") -> Rows:
    grouped: Rows = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def fetch_signals_by_id(conn: Conn, ids: list[str]) -> dict[str, RiskSignal]:
    """Signals by id (missing ids are absent)."""
    rows = conn.execute(f"SELECT {SIGNAL_COLUMNS} FROM risk_signals WHERE id = ANY(%s)", (ids,)).fetchall()
    return {row["id"]: build(RiskSignal, row) for row in rows}


def fetch_customers(conn: Conn, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Customer rows with the vendor's name and email domain joined in."""
    rows = conn.execute(
        "SELECT c.*, v.name AS vendor_name, v.email_domain AS vendor_email_domain"
        " FROM customers c LEFT JOIN vendor v ON v.id = 1 WHERE c.id = ANY(%s)",
        (ids,),
    ).fetchall()
    return {row["id"]: row for row in rows}


def fetch_health(conn: Conn, ids: list[str], since: datetime) -> dict[str, list[HealthPoint]]:
    """Per customer, health points from the last one at or before `since` (the baseline) onwards."""
    rows = conn.execute(
        "SELECT h.customer_id, h.at, h.score FROM health_history h WHERE h.customer_id = ANY(%(c)s) AND h.at >="
        " coalesce((SELECT max(b.at) FROM health_history b WHERE b.customer_id = h.customer_id AND b.at <= %(since)s),"
        " %(since)s) ORDER BY h.customer_id, h.at",
        {"c": ids, "since": since},
    ).fetchall()
    return {cid: [build(HealthPoint, row) for row in points] for cid, points in _grouped(rows).items()}


def fetch_signals(conn: Conn, ids: list[str], since: datetime) -> dict[str, list[RiskSignal]]:
    """Per customer, its open signals and every signal detected since `since`, newest first."""
    rows = conn.execute(
        f"SELECT {SIGNAL_COLUMNS} FROM risk_signals WHERE customer_id = ANY(%s)"
        " AND (status = 'open' OR detected_at >= %s) ORDER BY detected_at DESC, id",
        (ids, since),
    ).fetchall()
    return {cid: [build(RiskSignal, row) for row in signals] for cid, signals in _grouped(rows).items()}


def fetch_tickets(conn: Conn, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Ticket rows by id, each with its events (oldest first) as `events`."""
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT t.*, (SELECT coalesce(json_agg(json_build_object('at', e.at, 'kind', e.kind, 'note', e.note, 'due', e.due)"
        "   ORDER BY e.at, e.seq), '[]'::json) FROM ticket_events e WHERE e.ticket_id = t.id) AS events"
        " FROM tickets t WHERE t.id = ANY(%s)",
        (ids,),
    ).fetchall()
    return {row["id"]: row for row in rows}


def fetch_communications(conn: Conn, ids: list[str], since: datetime, reply_ids: list[str]) -> Rows:
    """Per customer, communications since `since` plus the ones the signals point at, newest first."""
    rows = conn.execute(
        f"SELECT {_COMMUNICATION_COLUMNS} FROM communications WHERE customer_id = ANY(%(c)s) AND at >= %(since)s"
        f" UNION SELECT {_COMMUNICATION_COLUMNS} FROM communications WHERE id = ANY(%(reply)s)"
        " ORDER BY at DESC, id",
        {"c": ids, "since": since, "reply": reply_ids},
    ).fetchall()
    return _grouped(rows)


def fetch_contacts(conn: Conn, ids: list[str]) -> dict[str, list[Contact]]:
    """Per customer, its contacts by name."""
    rows = conn.execute(
        "SELECT id, customer_id, name, email, title, role FROM contacts WHERE customer_id = ANY(%s) ORDER BY name, id",
        (ids,),
    ).fetchall()
    return {cid: [build(Contact, row) for row in people] for cid, people in _grouped(rows).items()}


def fetch_save_plays(conn: Conn, ids: list[str]) -> Rows:
    """Per customer, its save plays that are not closed, newest first."""
    rows = conn.execute(
        "SELECT id, customer_id, title, status, owner_id, created_at, actions, risk_signal_id, source_response_id, plan"
        " FROM save_plays"
        " WHERE customer_id = ANY(%s) AND lower(status) <> ALL(%s) ORDER BY created_at DESC, id",
        (ids, list(CLOSED_SAVE_PLAY_STATUSES)),
    ).fetchall()
    return _grouped(rows)


def fetch_staff(conn: Conn, ids: set[str], csm_ids: set[str]) -> tuple[dict[str, StaffMember], dict[str, StaffMember]]:
    """Staff by id (the given ids and the CSMs' managers) and, per specialist role, the first by id (one
    probe of the (role, id) index per role, not a sort of everyone holding the role)."""
    rows = conn.execute(
        f"SELECT 'id' AS via, {_STAFF_COLUMNS} FROM staff"
        " WHERE id = ANY(%(ids)s::text[] || ARRAY(SELECT manager_id FROM staff WHERE id = ANY(%(csms)s::text[])))"
        f" UNION ALL SELECT 'role' AS via, first.* FROM unnest(%(roles)s::text[]) AS wanted(role)"
        f" CROSS JOIN LATERAL (SELECT {_STAFF_COLUMNS} FROM staff WHERE staff.role = wanted.role ORDER BY id LIMIT 1) first",
        {"ids": sorted(ids), "csms": sorted(csm_ids), "roles": list(SPECIALIST_ROLES)},
    ).fetchall()
    by_id = {row["id"]: build(StaffMember, row) for row in rows if row["via"] == "id"}
    by_role = {row["role"]: build(StaffMember, row) for row in rows if row["via"] == "role"}
    return by_id, by_role
