"""Response tracking: what is written when a response is sent, and the list of responses.

On `sent`, one transaction writes the response's `sent_at`, `email_id`, response time and SLA state
at send time, and the risk signal's `response_sent_at` and `response_email_id` (the first response
of a signal is the one its response time counts from).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from ...auth.access import acting_staff, visible_customer_ids
from ...auth.actor import Actor
from ...mail.base import SendReceipt
from ...store import Store
from ...store.responses import RESPONSE_ENTITY, Conn, ResponseHead, Row, addresses, audit
from ..context.customers import resolve_customer_on
from ..policy import Policy
from ..strategy.sla import sla_clock

__all__ = ["DeliveryRecord", "ResponseSummary", "SlaAtSend", "list_responses", "record_sent", "sla_at_send"]


class SlaAtSend(BaseModel):
    """The first-response SLA as it stood when the response was sent."""

    first_response_due: datetime = Field(description="First-response deadline of the escalation.")
    state: Literal["met", "breached"] = Field(description="met when sent by the deadline, else breached.")
    minutes: int = Field(description="Minutes before the deadline (met) or after it (breached).")


class DeliveryRecord(BaseModel):
    """How a response went out: the provider's id, when, how fast, against the SLA, after how many attempts."""

    email_id: str | None = Field(default=None, description="Provider id of the sent email.")
    sent_at: datetime | None = Field(default=None, description="When it was sent.")
    response_minutes: int | None = Field(default=None, description="Minutes from the escalation's detection to sending.")
    sla: SlaAtSend | None = Field(default=None, description="SLA state at send time.")
    attempts: int = Field(default=0, description="Delivery attempts made so far (all sends of this response).")
    last_error: str | None = Field(default=None, description="Last delivery error, if any.")


class ResponseSummary(ResponseHead, DeliveryRecord):
    """One response in the list: status, approval and response time."""

    severity: str = Field(description="Escalation severity.")
    kind: str = Field(description="first response, update or closing email.")
    to: list[str] = Field(default_factory=list, description="To addresses.")
    approval_status: str | None = Field(default=None, description="Latest approval: pending, approved, rejected, void.")
    decided_by: str | None = Field(default=None, description="Who decided the approval: staff id or policy:expedited.")
    created_at: datetime = Field(description="When drafted.")
    next_update_due: datetime | None = Field(
        default=None, description="When the next status update is owed (the latest sent message of an open thread)."
    )


def sla_at_send(row: Row, *, sent_at: datetime, policy: Policy) -> SlaAtSend:
    """Met or breached, and by how many minutes, from the escalation's SLA clock."""
    clock = sla_clock(
        severity=row["severity"],
        started_at=row["detected_at"],
        timezone=row["customer_timezone"] or "UTC",
        country=row["customer_country"],
        policy=policy,
        now=sent_at,
    )
    margin = (clock.first_response_due - sent_at).total_seconds() / 60
    return SlaAtSend(
        first_response_due=clock.first_response_due,
        state="met" if margin >= 0 else "breached",
        minutes=round(abs(margin)),
    )


def record_sent(conn: Conn, *, row: Row, receipt: SendReceipt, sent_at: datetime, actor: str,
                policy: Policy, detail: dict[str, Any] | None = None) -> bool:
    """Mark the locked response row sent and update its risk signal, inside the caller's transaction.

    The caller decided, under the row lock, that this delivery is to be recorded (its attempt's lease
    is current, or it is a late delivery). Returns False (and writes nothing) when it is already sent.
    """
    first = row["kind"] == "first"  # updates and closing emails do not restart the response time
    minutes = round((sent_at - row["detected_at"]).total_seconds() / 60) if first else None
    sla = sla_at_send(row, sent_at=sent_at, policy=policy) if first else None
    updated = conn.execute(
        "UPDATE escalation_responses SET status = 'sent', sent_at = %s, email_id = %s, response_minutes = %s,"
        " sla_at_send = %s, sent_thread_id = %s, last_error = NULL, updated_at = %s"
        " WHERE id = %s AND status <> 'sent' RETURNING id",
        (sent_at, receipt.email_id, minutes, Jsonb(sla.model_dump(mode="json")) if sla else None, receipt.thread_id,
         sent_at, row["id"]),
    ).fetchone()
    if updated is None:
        return False
    conn.execute(
        "UPDATE risk_signals SET response_sent_at = %s, response_email_id = %s"
        " WHERE id = %s AND response_sent_at IS NULL",
        (sent_at, receipt.email_id, row["risk_signal_id"]),
    )
    new_thread = bool(row["thread_id"] and receipt.thread_id and receipt.thread_id != row["thread_id"])
    audit(conn, actor=actor, entity=RESPONSE_ENTITY, entity_id=row["id"], action="sent", now=sent_at,
          detail={"from": row["status"], "to": "sent", "email_id": receipt.email_id,
                  "message_id": receipt.message_id, "transport": receipt.transport,
                  "response_minutes": minutes, "sla": sla.model_dump(mode="json") if sla else None,
                  "thread_id": receipt.thread_id, "new_thread": new_thread, **(detail or {})})
    row["status"] = "sent"
    return True


def _summary(row: dict[str, Any]) -> ResponseSummary:
    return ResponseSummary(
        **{k: row[k] for k in ResponseSummary.model_fields if k not in ("to", "sla")},
        to=addresses(row["to_addrs"]),
        sla=SlaAtSend(**row["sla_at_send"]) if row["sla_at_send"] else None,
    )


def list_responses(store: Store, *, actor: Actor, customer: str | None = None) -> list[ResponseSummary]:
    """Responses, newest first, optionally of one customer (id or name as a CSM types it).

    Args:
        store: The database.
        actor: Who asks; a staff member sees only responses of customers they may reach, and
            `customer` is resolved among those customers only.
        customer: What the CSM typed to name the customer (None: every customer).

    Raises:
        CustomerNotFound, AmbiguousCustomer: `customer` does not name exactly one (reachable) customer.
        NotFound: The actor is not in the staff directory.
    """
    with store.connection() as conn:
        staff = acting_staff(conn, actor)
        clauses: list[str] = []
        params: list[Any] = []
        if customer is not None:
            clauses.append("r.customer_id = %s")
            params.append(resolve_customer_on(conn, query=customer, actor=staff).id)
        elif staff is not None:
            clauses.append("r.customer_id = ANY(%s)")
            params.append(sorted(visible_customer_ids(conn, actor=staff)))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = conn.execute(
            "SELECT r.*, c.name AS customer_name, s.severity, a.status AS approval_status, a.decided_by"
            " FROM escalation_responses r JOIN customers c ON c.id = r.customer_id"
            " JOIN risk_signals s ON s.id = r.risk_signal_id"
            " LEFT JOIN LATERAL (SELECT status, decided_by FROM approval_requests"
            "   WHERE response_id = r.id ORDER BY seq DESC LIMIT 1) a ON true"
            + where + " ORDER BY r.created_at DESC, r.id",
            params,
        ).fetchall()
        return [_summary(r) for r in rows]
