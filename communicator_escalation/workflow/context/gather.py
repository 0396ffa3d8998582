"""Step 1: find the open escalation and gather its EscalationContext in one consistent read.

`gather_context` runs a fixed number of queries (at most ten, whatever the size of the customer's
history; two more when an actor is named), each an index lookup on the schema's indexes, inside one
read-only repeatable-read transaction so every part of the context comes from the same snapshot.

With an actor, only customers the actor may reach exist: name resolution considers no other customer,
and a signal of a customer the actor cannot reach is answered like a signal that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import acting_staff
from ...auth.actor import Actor
from ...errors import ConfigurationError, InvalidRequest, NotFound
from ...models import (
    AccountTeam,
    Communication,
    Contact,
    Customer,
    Escalation,
    EscalationContext,
    HealthPoint,
    HealthTrend,
    PriorEscalation,
    RiskSignal,
    SavePlay,
    StaffMember,
    Ticket,
    TicketEvent,
    Vendor,
)
from ...store import Store
from .customers import resolve_customer_on
from .target import SIGNAL_COLUMNS, is_escalation, reachable_signal, select_escalation

__all__ = ["gather_context", "gather_on", "health_trend"]

RECENT_COMMUNICATION_DAYS = 90
PRIOR_ESCALATION_DAYS = 365
HEALTH_WINDOW_DAYS = 90
HEALTH_STABLE_POINTS = 3  # a change smaller than this many points is "stable"
CLOSED_SAVE_PLAY_STATUSES = ("completed", "closed", "cancelled", "canceled", "done")
SPECIALIST_ROLES = ("engineering_manager", "security_officer", "billing_specialist")

M = TypeVar("M", bound=BaseModel)
Conn = psycopg.Connection[dict[str, Any]]

_STAFF_COLUMNS = "id, name, email, role, title, phone, timezone, manager_id"
_COMMUNICATION_COLUMNS = "id, channel, direction, at, subject, body, contact_id, staff_id, thread_id, message_id"


def health_trend(
    *, points: Sequence[HealthPoint], current: int, now: datetime, stable_within: int = HEALTH_STABLE_POINTS
) -> HealthTrend:
    """Direction and size of the health change from the oldest point given to the current score.

    Args:
        points: History points, any order; the oldest is the baseline.
        current: The customer's current score (appended as a point at `now` when it differs from the last).
        now: The moment the trend is computed for.
        stable_within: Changes smaller than this many points count as stable.
    """
    history = sorted((p for p in points if p.at <= now), key=lambda p: p.at)
    if not history or history[-1].score != current:
        history.append(HealthPoint(at=now, score=current))
    baseline = history[0]
    change = current - baseline.score
    direction = "stable" if abs(change) < stable_within else ("declining" if change < 0 else "improving")
    window = (now - baseline.at).days if len(history) > 1 else None
    return HealthTrend(score=current, direction=direction, change=change, window_days=window, history=history)


def _build(model: type[M], row: Mapping[str, Any], **extra: Any) -> M:
    """A model from the row's columns that the model has (metadata and joins are ignored)."""
    return model.model_validate({key: row[key] for key in model.model_fields if key in row} | extra)


def _local_today(now: datetime, tz_name: str) -> date:
    try:
        return now.astimezone(ZoneInfo(tz_name)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(timezone.utc).date()


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month) - (1 if end.day < start.day else 0)
    return max(months, 0)


def _customer(row: Mapping[str, Any], now: datetime) -> Customer:
    tz_name = row["timezone"] or "UTC"
    today = _local_today(now, tz_name)
    renewal, since = row["renewal_date"], row["customer_since"]
    country = (row["metadata"] or {}).get("country")  # an extra key of the world file, when given
    return _build(
        Customer,
        row,
        country=country if isinstance(country, str) else None,
        arr=float(row["arr"]),
        timezone=tz_name,
        days_to_renewal=(renewal - today).days if renewal else None,
        tenure_months=_whole_months(since, today) if since else None,
    )


def _fetch_customer(conn: Conn, customer_id: str, now: datetime) -> tuple[Customer, Vendor, str, dict[str, Any]]:
    row = conn.execute(
        "SELECT c.*, v.name AS vendor_name, v.email_domain AS vendor_email_domain"
        " FROM customers c LEFT JOIN vendor v ON v.id = 1 WHERE c.id = %s",
        (customer_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"customer '{customer_id}' not found")
    if row["vendor_name"] is None:
        raise ConfigurationError("no vendor in the database: load a world file that has a 'vendor' record")
    vendor = Vendor(name=row["vendor_name"], email_domain=row["vendor_email_domain"])
    team_ids = {
        role: row[f"{role}_id"] for role in ("csm", "account_executive", "support_lead", "executive_sponsor")
    }
    return _customer(row, now), vendor, row["csm_id"], team_ids


def _fetch_health(conn: Conn, customer_id: str, since: datetime) -> list[HealthPoint]:
    """Points from the last one at or before `since` (the baseline) onwards."""
    rows = conn.execute(
        "SELECT at, score FROM health_history WHERE customer_id = %(c)s AND at >= coalesce("
        " (SELECT max(at) FROM health_history WHERE customer_id = %(c)s AND at <= %(since)s), %(since)s)"
        " ORDER BY at",
        {"c": customer_id, "since": since},
    ).fetchall()
    return [_build(HealthPoint, row) for row in rows]


def _fetch_signals(conn: Conn, customer_id: str, since: datetime) -> list[RiskSignal]:
    """The customer's open signals and every signal detected since `since`, newest first."""
    rows = conn.execute(
        f"SELECT {SIGNAL_COLUMNS} FROM risk_signals"
        " WHERE customer_id = %s AND (status = 'open' OR detected_at >= %s) ORDER BY detected_at DESC, id",
        (customer_id, since),
    ).fetchall()
    return [_build(RiskSignal, row) for row in rows]


def _fetch_ticket(conn: Conn, ticket_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT t.*, (SELECT coalesce(json_agg(json_build_object('at', e.at, 'kind', e.kind, 'note', e.note)"
        "   ORDER BY e.at, e.seq), '[]'::json) FROM ticket_events e WHERE e.ticket_id = t.id) AS events"
        " FROM tickets t WHERE t.id = %s",
        (ticket_id,),
    ).fetchone()


def _fetch_communications(
    conn: Conn, customer_id: str, since: datetime, reply_id: str | None
) -> list[dict[str, Any]]:
    """Communications since `since` plus the one the signal points at, newest first."""
    return conn.execute(
        f"SELECT {_COMMUNICATION_COLUMNS} FROM communications WHERE customer_id = %(c)s AND at >= %(since)s"
        f" UNION SELECT {_COMMUNICATION_COLUMNS} FROM communications WHERE id = %(reply)s"
        " ORDER BY at DESC, id",
        {"c": customer_id, "since": since, "reply": reply_id},
    ).fetchall()


def _fetch_contacts(conn: Conn, customer_id: str) -> list[Contact]:
    rows = conn.execute(
        "SELECT id, customer_id, name, email, title, role FROM contacts WHERE customer_id = %s ORDER BY name, id",
        (customer_id,),
    ).fetchall()
    return [_build(Contact, row) for row in rows]


def _fetch_save_plays(conn: Conn, customer_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, title, status, owner_id, created_at, actions FROM save_plays"
        " WHERE customer_id = %s AND lower(status) <> ALL(%s) ORDER BY created_at DESC, id",
        (customer_id, list(CLOSED_SAVE_PLAY_STATUSES)),
    ).fetchall()


def _fetch_staff(conn: Conn, ids: set[str], csm_id: str) -> tuple[dict[str, StaffMember], dict[str, StaffMember]]:
    """Staff by id (the given ids and the CSM's manager) and, per specialist role, the first by id."""
    rows = conn.execute(
        f"SELECT 'id' AS via, {_STAFF_COLUMNS} FROM staff"
        " WHERE id = ANY(%(ids)s) OR id = (SELECT manager_id FROM staff WHERE id = %(csm)s)"
        f" UNION ALL (SELECT DISTINCT ON (role) 'role' AS via, {_STAFF_COLUMNS} FROM staff"
        " WHERE role = ANY(%(roles)s) ORDER BY role, id)",
        {"ids": sorted(ids), "csm": csm_id, "roles": list(SPECIALIST_ROLES)},
    ).fetchall()
    by_id = {row["id"]: _build(StaffMember, row) for row in rows if row["via"] == "id"}
    by_role = {row["role"]: _build(StaffMember, row) for row in rows if row["via"] == "role"}
    return by_id, by_role


def _communication(row: Mapping[str, Any], contacts: Mapping[str, Contact]) -> Communication:
    contact = contacts.get(row["contact_id"]) if row["contact_id"] else None
    return _build(Communication, row, contact_name=contact.name if contact else None)


def _escalation(signal: RiskSignal, ticket_row: Mapping[str, Any] | None, now: datetime) -> Escalation:
    since = ticket_row["opened_at"] if ticket_row else signal.detected_at
    hours = round((now - since).total_seconds() / 3600, 2)
    return Escalation(**signal.model_dump(), unresolved_since=since, unresolved_for_hours=hours)


def _prior(signal: RiskSignal) -> PriorEscalation:
    minutes = None
    if signal.response_sent_at is not None:
        minutes = int((signal.response_sent_at - signal.detected_at).total_seconds() // 60)
    return _build(PriorEscalation, signal.model_dump(), response_minutes=minutes)


def _gather(
    conn: Conn, *, customer: str | None, signal_id: str | None, actor: Actor, now: datetime
) -> EscalationContext:
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL TIME ZONE 'UTC'")
    staff = acting_staff(conn, actor)
    explicit = reachable_signal(conn, signal_id, staff) if signal_id is not None else None
    customer_id = explicit.customer_id if explicit else resolve_customer_on(conn, query=customer or "", actor=staff).id
    account, vendor, csm_id, team_ids = _fetch_customer(conn, customer_id, now)
    prior_since = now - timedelta(days=PRIOR_ESCALATION_DAYS)
    signals = _fetch_signals(conn, customer_id, prior_since)
    if explicit and all(s.id != explicit.id for s in signals):
        signals.append(explicit)
    selection = select_escalation(signals=signals, customer_name=account.name, signal_id=signal_id)
    chosen = selection.escalation

    health = health_trend(
        points=_fetch_health(conn, customer_id, now - timedelta(days=HEALTH_WINDOW_DAYS)),
        current=account.health_score,
        now=now,
    )
    ticket_row = _fetch_ticket(conn, chosen.ticket_id) if chosen.ticket_id else None
    contacts = _fetch_contacts(conn, customer_id)
    contacts_by_id = {c.id: c for c in contacts}
    recent_since = now - timedelta(days=RECENT_COMMUNICATION_DAYS)
    communications = _fetch_communications(conn, customer_id, recent_since, chosen.communication_id)
    play_rows = _fetch_save_plays(conn, customer_id)

    wanted = {i for i in team_ids.values() if i} | {r["owner_id"] for r in play_rows if r["owner_id"]}
    if ticket_row and ticket_row["assignee_id"]:
        wanted.add(ticket_row["assignee_id"])
    staff, specialists = _fetch_staff(conn, wanted, csm_id)
    csm = staff.get(csm_id)

    ticket = None
    if ticket_row is not None:
        ticket = _build(
            Ticket,
            ticket_row,
            requester=contacts_by_id.get(ticket_row["requester_contact_id"] or ""),
            assignee=staff.get(ticket_row["assignee_id"] or ""),
            events=[TicketEvent.model_validate(event) for event in ticket_row["events"]],
        )
    reply_row = next((r for r in communications if r["id"] == chosen.communication_id), None)
    prior_escalations = [
        _prior(s)
        for s in signals
        if is_escalation(s) and s.id != chosen.id and prior_since <= s.detected_at <= chosen.detected_at
    ]
    return EscalationContext(
        gathered_at=now,
        vendor=vendor,
        customer=account,
        health=health,
        escalation=_escalation(chosen, ticket_row, now),
        reporter=contacts_by_id.get(chosen.reported_by_contact_id or ""),
        ticket=ticket,
        reply_to=_communication(reply_row, contacts_by_id) if reply_row and reply_row["channel"] == "email" else None,
        recent_communications=[_communication(r, contacts_by_id) for r in communications if r["at"] >= recent_since],
        related_signals=[s for s in signals if not is_escalation(s) and s.status == "open"],
        prior_escalations=prior_escalations,
        other_open_escalations=selection.others,
        save_plays=[
            _build(SavePlay, row, owner=staff.get(row["owner_id"] or ""), actions=[str(a) for a in row["actions"]])
            for row in play_rows
        ],
        contacts=contacts,
        team=AccountTeam(
            csm=csm,
            csm_manager=staff.get(csm.manager_id) if csm and csm.manager_id else None,
            account_executive=staff.get(team_ids["account_executive"] or ""),
            support_lead=staff.get(team_ids["support_lead"] or ""),
            executive_sponsor=staff.get(team_ids["executive_sponsor"] or ""),
            **{role: specialists.get(role) for role in SPECIALIST_ROLES},
        ),
    )


def gather_context(
    store: Store,
    *,
    actor: Actor,
    customer: str | None = None,
    signal_id: str | None = None,
    now: datetime | None = None,
) -> EscalationContext:
    """Everything Step 1 needs about one escalation, read from one database snapshot.

    Give `signal_id` for a specific escalation, or `customer` (id, name or part of a name) to pick the
    customer's most urgent open escalation.

    Args:
        store: The database.
        actor: Who asks; customers a staff member may not reach are treated as nonexistent (never
            matched, listed or suggested).
        customer: What the CSM typed to name the customer.
        signal_id: An explicit risk signal id (overrides the choice).
        now: The moment to compute ages and windows for (default: the current time).

    Raises:
        CustomerNotFound / AmbiguousCustomer: `customer` does not name exactly one (reachable) customer.
        NoOpenEscalation: The customer has no open escalation.
        NotFound: `signal_id` does not exist (or is of a customer the actor may not reach), or the
            actor is not in the staff directory.
        NotAnEscalation: `signal_id` is not an escalation signal.
        InvalidRequest: Neither or both of `customer` and `signal_id` given.
    """
    with store.connection() as conn:
        return gather_on(conn, actor=actor, customer=customer, signal_id=signal_id, now=now)


def gather_on(
    conn: Conn, *, actor: Actor, customer: str | None = None, signal_id: str | None = None, now: datetime | None = None
) -> EscalationContext:
    """`gather_context` on a connection the caller holds (its own read-only transaction on it)."""
    if (customer is None) == (signal_id is None):
        raise InvalidRequest("give exactly one of: a customer, a risk signal id")
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    with conn.transaction():
        return _gather(conn, customer=customer, signal_id=signal_id, actor=actor, now=moment)
