"""Shared plumbing of Step 4: loading a response row, who may act on it, the content hash, audit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from ..errors import NotFound, Refused
from ..models import StaffMember

Conn = psycopg.Connection[dict[str, Any]]
Row = dict[str, Any]

RESPONSE_ENTITY = "escalation_response"
APPROVAL_ENTITY = "approval_request"
_STAFF_COLUMNS = "id, name, email, role, title, phone, timezone, manager_id"


class Thread(BaseModel):
    """The account and escalation a response thread answers."""

    customer_id: str = Field(description="Customer id.")
    customer_name: str = Field(description="Customer name.")
    risk_signal_id: str = Field(description="The escalation answered.")


class ResponseHead(Thread):
    """A stored response: its id, the account and escalation it answers, its state and subject."""

    id: str = Field(description="Response id.")
    status: str = Field(
        description="drafted, pending_approval, approved, sending, sent, failed, unknown, rejected or cancelled."
    )
    subject: str = Field(description="Subject.")


def addresses(value: Any) -> list[str]:
    """Recipients stored as JSON: a list of address strings (objects with an `email` are read too)."""
    return [item if isinstance(item, str) else item["email"] for item in value or []]


def content_of(row: Row) -> dict[str, Any]:
    """The exact content an approval is bound to: To, CC, subject and body."""
    return {
        "to": addresses(row["to_addrs"]),
        "cc": addresses(row["cc_addrs"]),
        "subject": row["subject"],
        "body": row["body"],
    }


def hash_content(content: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace, UTF-8) of a `content_of` dict."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(row: Row) -> str:
    """sha256 of the canonical JSON of `content_of(row)` (see `hash_content`)."""
    return hash_content(content_of(row))


def display_names(conn: Conn, emails: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    """Lower-cased address -> (name, contact id, staff id) from the contacts and the staff directory."""
    if not emails:
        return {}
    rows = conn.execute(
        "SELECT lower(email) AS email, name, id AS contact_id, NULL AS staff_id FROM contacts"
        " WHERE lower(email) = ANY(%(e)s)"
        " UNION ALL SELECT lower(email), name, NULL, id FROM staff WHERE lower(email) = ANY(%(e)s)",
        {"e": [e.casefold() for e in emails]},
    ).fetchall()
    return {r["email"]: (r["name"], r["contact_id"], r["staff_id"]) for r in rows}


def load_response(conn: Conn, response_id: str, *, lock: bool = False) -> Row:
    """The `escalation_responses` row joined with its customer's team ids; `lock` takes FOR UPDATE."""
    row = conn.execute(
        "SELECT r.*, c.name AS customer_name, c.csm_id, c.account_executive_id, c.support_lead_id,"
        " c.executive_sponsor_id, s.severity, s.detected_at, s.ticket_id, s.title AS signal_title,"
        " c.timezone AS customer_timezone, c.metadata->>'country' AS customer_country"
        " FROM escalation_responses r"
        " JOIN customers c ON c.id = r.customer_id"
        " JOIN risk_signals s ON s.id = r.risk_signal_id"
        " WHERE r.id = %s" + (" FOR UPDATE OF r" if lock else ""),
        (response_id,),
    ).fetchone()
    if row is None:
        raise NotFound("access.no_response", response_id=response_id)
    return row


def staff_member(conn: Conn, staff_id: str | None) -> StaffMember | None:
    """A staff member by id, or None."""
    if staff_id is None:
        return None
    row = conn.execute(f"SELECT {_STAFF_COLUMNS} FROM staff WHERE id = %s", (staff_id,)).fetchone()
    return StaffMember(**row) if row else None


def all_staff(conn: Conn) -> list[StaffMember]:
    """The whole staff directory, by name."""
    return [StaffMember(**r) for r in conn.execute(f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY name, id")]


def sender_of(conn: Conn, row: Row) -> StaffMember:
    """The response's sender: its `sender_id`, else the account's CSM."""
    sender = staff_member(conn, row["sender_id"] or row["csm_id"])
    if sender is None:
        raise Refused("access.no_sender", response_id=row["id"])
    return sender


def resolve_actor(conn: Conn, row: Row, actor_id: str | None) -> StaffMember:
    """Who acts: `actor_id` from the directory, or by default the response's sender (the account's CSM)."""
    if actor_id is None:
        return sender_of(conn, row)
    actor = staff_member(conn, actor_id)
    if actor is None:
        raise NotFound("access.no_staff", staff_id=actor_id)
    return actor


def require_status(row: Row, allowed: Iterable[str], doing: str) -> None:
    """Refuse action `doing` (a key of prompts/errors/access.j2's `doing`) unless the response is in an `allowed` state."""
    allowed = tuple(allowed)
    if row["status"] not in allowed:
        raise Refused("access.wrong_state", action=doing, response_id=row["id"], status=row["status"], allowed=allowed)


def audit(conn: Conn, *, actor: str, entity: str, entity_id: str, action: str, detail: dict[str, Any],
          now: datetime) -> None:
    """Append one row to the audit log."""
    conn.execute(
        "INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (%s, %s, %s, %s, %s, %s)",
        (now, actor, entity, entity_id, action, Jsonb(detail)),
    )


def void_approvals(conn: Conn, *, response_id: str, actor: str, now: datetime, reason: str,
                   states: tuple[str, ...] = ("pending", "approved"), unless_hash: str | None = None,
                   audit_detail: dict[str, Any] | None = None) -> list[str]:
    """Void the response's approval requests in `states` (those bound to `unless_hash` stay), audited one by one.

    Returns:
        The ids voided.
    """
    voided = [row["id"] for row in conn.execute(
        "UPDATE approval_requests SET status = 'void', decided_at = %(now)s, decided_by = %(actor)s, reason = %(reason)s"
        " WHERE response_id = %(id)s AND status = ANY(%(states)s)"
        " AND (%(keep)s::text IS NULL OR content_hash <> %(keep)s) RETURNING id",
        {"now": now, "actor": actor, "reason": reason, "id": response_id, "states": list(states), "keep": unless_hash},
    )]
    for approval_id in voided:
        audit(conn, actor=actor, entity=APPROVAL_ENTITY, entity_id=approval_id, action="void",
              detail=audit_detail or {"reason": reason}, now=now)
    return voided


def set_status(conn: Conn, row: Row, status: str, *, actor: str, now: datetime, action: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
    """Move the response to `status` and audit the transition with the actor."""
    conn.execute("UPDATE escalation_responses SET status = %s, updated_at = %s WHERE id = %s", (status, now, row["id"]))
    audit(
        conn,
        actor=actor,
        entity=RESPONSE_ENTITY,
        entity_id=row["id"],
        action=action or status,
        detail={"from": row["status"], "to": status, **(detail or {})},
        now=now,
    )
    row["status"] = status
