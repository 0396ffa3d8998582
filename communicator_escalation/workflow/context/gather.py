"""Step 1: find the open escalation and gather its EscalationContext in one consistent read.

`gather_context` runs a fixed number of queries (at most eleven, whatever the size of the customer's
history; two more when an actor is named), each an index lookup on the schema's indexes, inside one
read-only repeatable-read transaction so every part of the context comes from the same snapshot.
`gather_contexts_on` reads the contexts of many escalations with the same statements (`context_rows`).

With an actor, only customers the actor may reach exist: name resolution considers no other customer,
and a signal of a customer the actor cannot reach is answered like a signal that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import acting_staff
from ...auth.actor import Actor
from ...errors import ConfigurationError, EscalationError, InvalidRequest, NotFound
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
from ...utc import utcnow
from .context_rows import (
    SPECIALIST_ROLES,
    build,
    fetch_communications,
    fetch_contacts,
    fetch_customers,
    fetch_health,
    fetch_save_plays,
    fetch_signals,
    fetch_signals_by_id,
    fetch_staff,
    fetch_tickets,
)
from .customers import resolve_customer_on
from .history import fetch_histories, past_escalations
from .target import EscalationSelection, is_escalation, reachable_signal, select_escalation

__all__ = ["gather_context", "gather_contexts_on", "gather_on", "health_trend"]

RECENT_COMMUNICATION_DAYS = 90
PRIOR_ESCALATION_DAYS = 365
HEALTH_WINDOW_DAYS = 90
HEALTH_STABLE_POINTS = 3  # a change smaller than this many points is "stable"
Conn = psycopg.Connection[dict[str, Any]]
_TEAM_ROLES = ("csm", "account_executive", "support_lead", "executive_sponsor")


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
    return build(
        Customer,
        row,
        country=country if isinstance(country, str) else None,
        arr=float(row["arr"]),
        timezone=tz_name,
        days_to_renewal=(renewal - today).days if renewal else None,
        tenure_months=_whole_months(since, today) if since else None,
    )


def _communication(row: Mapping[str, Any], contacts: Mapping[str, Contact]) -> Communication:
    contact = contacts.get(row["contact_id"]) if row["contact_id"] else None
    return build(Communication, row, contact_name=contact.name if contact else None)


def _escalation(signal: RiskSignal, ticket_row: Mapping[str, Any] | None, now: datetime) -> Escalation:
    since = ticket_row["opened_at"] if ticket_row else signal.detected_at
    hours = round((now - since).total_seconds() / 3600, 2)
    return Escalation(**signal.model_dump(), unresolved_since=since, unresolved_for_hours=hours)


def _prior(signal: RiskSignal) -> PriorEscalation:
    minutes = None
    if signal.response_sent_at is not None:
        minutes = int((signal.response_sent_at - signal.detected_at).total_seconds() // 60)
    return build(PriorEscalation, signal.model_dump(), response_minutes=minutes)


class _Pick(BaseModel):
    """One context to read: a customer, and the escalation asked for (None: its most urgent open one)."""

    customer_id: str
    signal: RiskSignal | None = None


class _Reads(BaseModel):
    """Everything read for a batch of picks, by customer (or ticket, or staff) id."""

    customers: dict[str, dict[str, Any]]
    signals: dict[str, list[RiskSignal]]
    health: dict[str, list[HealthPoint]] = Field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    contacts: dict[str, list[Contact]] = Field(default_factory=dict)
    communications: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    save_plays: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    staff: dict[str, StaffMember] = Field(default_factory=dict)
    specialists: dict[str, StaffMember] = Field(default_factory=dict)


def _select(pick: _Pick, reads: _Reads) -> EscalationSelection:
    row = reads.customers.get(pick.customer_id)
    if row is None:
        raise NotFound("context.customer_missing", customer_id=pick.customer_id)
    if row["vendor_name"] is None:
        raise ConfigurationError("context.no_vendor")
    own = list(reads.signals.get(pick.customer_id, []))
    if pick.signal is not None and all(s.id != pick.signal.id for s in own):
        own.append(pick.signal)
    return select_escalation(signals=own, customer_name=row["name"], signal_id=pick.signal.id if pick.signal else None)


def _read_all(conn: Conn, picks: list[_Pick], now: datetime) -> tuple[_Reads, list[EscalationSelection | EscalationError]]:
    """The reads of every pick, the same statements whatever their number."""
    ids = sorted({p.customer_id for p in picks})
    reads = _Reads(customers=fetch_customers(conn, ids),
                   signals=fetch_signals(conn, ids, now - timedelta(days=PRIOR_ESCALATION_DAYS)))
    selections: list[EscalationSelection | EscalationError] = []
    for pick in picks:
        try:
            selections.append(_select(pick, reads))
        except EscalationError as err:
            selections.append(err)
    chosen = [s.escalation for s in selections if isinstance(s, EscalationSelection)]
    found = sorted({c.customer_id for c in chosen})
    reads.health = fetch_health(conn, found, now - timedelta(days=HEALTH_WINDOW_DAYS))
    reads.tickets = fetch_tickets(conn, sorted({c.ticket_id for c in chosen if c.ticket_id}))
    reads.contacts = fetch_contacts(conn, found)
    reply_ids = sorted({c.communication_id for c in chosen if c.communication_id})
    reads.communications = fetch_communications(conn, found, now - timedelta(days=RECENT_COMMUNICATION_DAYS), reply_ids)
    reads.save_plays = fetch_save_plays(conn, found)
    reads.history = fetch_histories(conn, chosen, since=now - timedelta(days=PRIOR_ESCALATION_DAYS))
    teams = [reads.customers[cid] for cid in found]
    wanted = {row[f"{role}_id"] for row in teams for role in _TEAM_ROLES} | {
        r["owner_id"] for cid in found for r in reads.save_plays.get(cid, [])
    } | {t["assignee_id"] for t in reads.tickets.values()}
    reads.staff, reads.specialists = fetch_staff(conn, {i for i in wanted if i}, {row["csm_id"] for row in teams})
    return reads, selections


def _assemble(selection: EscalationSelection, reads: _Reads, now: datetime) -> EscalationContext:
    chosen = selection.escalation
    customer_id = chosen.customer_id
    row = reads.customers[customer_id]
    account = _customer(row, now)
    signals = reads.signals.get(customer_id, [])
    if all(s.id != chosen.id for s in signals):
        signals = [*signals, chosen]
    prior_since = now - timedelta(days=PRIOR_ESCALATION_DAYS)
    ticket_row = reads.tickets.get(chosen.ticket_id or "")
    contacts = reads.contacts.get(customer_id, [])
    contacts_by_id = {c.id: c for c in contacts}
    recent_since = now - timedelta(days=RECENT_COMMUNICATION_DAYS)
    communications = [r for r in reads.communications.get(customer_id, []) if r["customer_id"] == customer_id]
    if chosen.communication_id and all(r["id"] != chosen.communication_id for r in communications):
        communications += [r for rows in reads.communications.values() for r in rows if r["id"] == chosen.communication_id]
    staff = reads.staff
    ticket = _ticket(ticket_row, contacts_by_id, staff) if ticket_row is not None else None
    reply_row = next((r for r in communications if r["id"] == chosen.communication_id), None)
    sponsor = staff.get(row["executive_sponsor_id"] or "")
    return EscalationContext(
        gathered_at=now,
        vendor=Vendor(name=row["vendor_name"], email_domain=row["vendor_email_domain"]),
        customer=account,
        health=health_trend(points=reads.health.get(customer_id, []), current=account.health_score, now=now),
        escalation=_escalation(chosen, ticket_row, now),
        reporter=contacts_by_id.get(chosen.reported_by_contact_id or ""),
        ticket=ticket,
        reply_to=_communication(reply_row, contacts_by_id) if reply_row and reply_row["channel"] == "email" else None,
        recent_communications=[_communication(r, contacts_by_id) for r in communications if r["at"] >= recent_since],
        related_signals=[s for s in signals if not is_escalation(s) and s.status == "open"],
        prior_escalations=[
            _prior(s) for s in signals
            if is_escalation(s) and s.id != chosen.id and prior_since <= s.detected_at <= chosen.detected_at
        ],
        other_open_escalations=selection.others,
        save_plays=[
            build(SavePlay, r, owner=staff.get(r["owner_id"] or ""), actions=[str(a) for a in r["actions"]],
                  **r["plan"])
            for r in reads.save_plays.get(customer_id, [])
        ],
        contacts=contacts,
        history=past_escalations(reads.history.get(chosen.id, []), sponsor_email=sponsor.email if sponsor else None),
        team=_team(row, reads),
    )


def _ticket(row: Mapping[str, Any], contacts_by_id: dict[str, Contact], staff: dict[str, StaffMember]) -> Ticket:
    return build(
        Ticket,
        row,
        requester=contacts_by_id.get(row["requester_contact_id"] or ""),
        assignee=staff.get(row["assignee_id"] or ""),
        events=[TicketEvent.model_validate(event) for event in row["events"]],
    )


def _team(row: Mapping[str, Any], reads: _Reads) -> AccountTeam:
    staff = reads.staff
    csm = staff.get(row["csm_id"])
    return AccountTeam(
        csm=csm,
        csm_manager=staff.get(csm.manager_id) if csm and csm.manager_id else None,
        account_executive=staff.get(row["account_executive_id"] or ""),
        support_lead=staff.get(row["support_lead_id"] or ""),
        executive_sponsor=staff.get(row["executive_sponsor_id"] or ""),
        **{role: reads.specialists.get(role) for role in SPECIALIST_ROLES},
    )


def _contexts(conn: Conn, picks: list[_Pick], now: datetime) -> list[EscalationContext | EscalationError]:
    reads, selections = _read_all(conn, picks, now)
    return [sel if isinstance(sel, EscalationError) else _assemble(sel, reads, now) for sel in selections]


def _gather(conn: Conn, *, customer: str | None, signal_id: str | None, actor: Actor, now: datetime) -> EscalationContext:
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL TIME ZONE 'UTC'")
    staff = acting_staff(conn, actor)
    explicit = reachable_signal(conn, signal_id, staff) if signal_id is not None else None
    customer_id = explicit.customer_id if explicit else resolve_customer_on(conn, query=customer or "", actor=staff).id
    [result] = _contexts(conn, [_Pick(customer_id=customer_id, signal=explicit)], now)
    if isinstance(result, EscalationError):
        raise result
    return result


def gather_contexts_on(
    conn: Conn, *, signal_ids: Sequence[str], now: datetime | None = None
) -> dict[str, EscalationContext | EscalationError]:
    """The contexts of many escalations from one snapshot, with the statements of one (the worker's read).

    Unscoped (the worker acts for each account's CSM); its own read-only transaction on `conn`.

    Returns:
        Per signal id, its context, or the error `gather_on(signal_id=...)` would raise for it.
    """
    moment = utcnow(now)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL TIME ZONE 'UTC'")
        found = fetch_signals_by_id(conn, list(signal_ids))
        picks = [_Pick(customer_id=found[i].customer_id, signal=found[i]) for i in signal_ids if i in found]
        contexts = iter(_contexts(conn, picks, moment))
        return {i: next(contexts) if i in found else NotFound("context.signal_missing", signal_id=i) for i in signal_ids}


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
        raise InvalidRequest("context.one_target")
    moment = utcnow(now)
    with conn.transaction():
        return _gather(conn, customer=customer, signal_id=signal_id, actor=actor, now=moment)
