"""Which escalation a request is about, among what the actor may reach.

Every door names its target the same way: a customer (id, name or part of a name), a risk signal id,
or both (the signal must then be the customer's). Customers the actor may not reach do not exist for
them: name resolution never considers them, and their signals read like signals that do not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import customer_team, may_reach
from ...errors import InvalidRequest, NoOpenEscalation, NotAnEscalation, NotFound
from ...models import ESCALATION_SIGNAL_TYPES, SEVERITY_RANK, RiskSignal, StaffMember
from .customers import resolve_customer_on

__all__ = ["SIGNAL_COLUMNS", "EscalationSelection", "choose_escalation", "is_escalation", "reachable_signal",
           "select_escalation"]

Conn = psycopg.Connection[dict[str, Any]]

SIGNAL_COLUMNS = (
    "id, customer_id, signal_type, severity, source, escalation_type, title, description, detected_at, status,"
    " reported_by_contact_id, ticket_id, communication_id, response_sent_at, response_email_id, resolved_at"
)


class EscalationSelection(BaseModel):
    """Which escalation a request is about, and the customer's other open ones."""

    escalation: RiskSignal = Field(description="The escalation chosen (explicit id, or the most urgent open one).")
    others: list[RiskSignal] = Field(default_factory=list, description="Other open escalations, most urgent first.")


def is_escalation(signal: RiskSignal) -> bool:
    """True for a signal of an escalation type."""
    return signal.signal_type in ESCALATION_SIGNAL_TYPES


def _urgency_order(signal: RiskSignal) -> tuple[int, float, str]:
    return (-SEVERITY_RANK[signal.severity], -signal.detected_at.timestamp(), signal.id)


def select_escalation(
    *, signals: Sequence[RiskSignal], customer_name: str, signal_id: str | None = None
) -> EscalationSelection:
    """Choose the escalation to answer among one customer's signals.

    Open escalations are signals of an escalation type with status `open`. Without `signal_id` the most
    severe wins, then the most recent. An explicit `signal_id` overrides (it may be resolved).

    Args:
        signals: The customer's signals (any types and statuses).
        customer_name: Used in error messages.
        signal_id: An explicit signal to use instead of choosing.

    Raises:
        NotFound: `signal_id` is not among `signals`.
        NotAnEscalation: `signal_id` names a signal that is not an escalation.
        NoOpenEscalation: No `signal_id` and no open escalation.
    """
    open_escalations = sorted((s for s in signals if is_escalation(s) and s.status == "open"), key=_urgency_order)
    if signal_id is not None:
        chosen = next((s for s in signals if s.id == signal_id), None)
        if chosen is None:
            raise NotFound(f"risk signal '{signal_id}' not found")
        if not is_escalation(chosen):
            raise NotAnEscalation(
                f"risk signal '{signal_id}' is a {chosen.signal_type} signal, not an escalation "
                f"({', '.join(ESCALATION_SIGNAL_TYPES)})",
                candidates=[s.id for s in open_escalations],
            )
    elif open_escalations:
        chosen = open_escalations[0]
    else:
        last = max((s for s in signals if is_escalation(s)), key=lambda s: s.detected_at, default=None)
        hint = f" (the last one, {last.id} '{last.title}', is {last.status})" if last else ""
        raise NoOpenEscalation(f"{customer_name} has no open escalation{hint}")
    return EscalationSelection(escalation=chosen, others=[s for s in open_escalations if s.id != chosen.id])


def reachable_signal(conn: Conn, signal_id: str, actor: StaffMember | None) -> RiskSignal:
    """The signal, when `actor` (if any) reaches its customer.

    Raises:
        NotFound: No such signal, or one of a customer `actor` may not reach (the same answer).
    """
    row = conn.execute(f"SELECT {SIGNAL_COLUMNS} FROM risk_signals WHERE id = %s", (signal_id,)).fetchone()
    signal = RiskSignal.model_validate(row) if row else None
    if signal is not None and actor is not None:
        team = customer_team(conn, customer_id=signal.customer_id)
        if team is None or not may_reach(actor, team):
            signal = None
    if signal is None:
        raise NotFound(f"risk signal '{signal_id}' not found")
    return signal


def choose_escalation(
    conn: Conn, *, actor: StaffMember | None, customer: str | None, signal_id: str | None
) -> RiskSignal:
    """The escalation a request means: `signal_id` (the customer's, when both are given), else the most
    urgent open escalation of the customer `customer` names, among the customers `actor` reaches.

    Raises:
        InvalidRequest: Neither a customer nor a signal id.
        CustomerNotFound / AmbiguousCustomer: `customer` does not name exactly one reachable customer.
        NotFound: The signal does not exist, is not reachable, or is another customer's.
        NotAnEscalation / NoOpenEscalation: Nothing to answer.
    """
    if customer is None and signal_id is None:
        raise InvalidRequest("give a customer or a risk signal id")
    wanted = resolve_customer_on(conn, query=customer, actor=actor) if customer is not None else None
    explicit = reachable_signal(conn, signal_id, actor) if signal_id is not None else None
    if wanted is not None:
        if explicit is not None and explicit.customer_id != wanted.id:
            owner = conn.execute("SELECT name FROM customers WHERE id = %s", (explicit.customer_id,)).fetchone()
            raise NotFound(f"risk signal '{signal_id}' belongs to {owner['name']}, not {wanted.name}")
        customer_id, name = wanted.id, wanted.name
    else:
        assert explicit is not None
        customer_id = explicit.customer_id
        name = conn.execute("SELECT name FROM customers WHERE id = %s", (customer_id,)).fetchone()["name"]
    rows = conn.execute(f"SELECT {SIGNAL_COLUMNS} FROM risk_signals WHERE customer_id = %s", (customer_id,))
    signals = [RiskSignal.model_validate(row) for row in rows]
    return select_escalation(signals=signals, customer_name=name, signal_id=signal_id).escalation
