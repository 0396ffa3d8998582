"""Triage: the open escalations a staff member may work on, most urgent first, with their SLA clocks.

`open_escalations` is the one function behind the chat's "what is open / what is next", the agent's
`list_open_escalations` tool and `escalation inbox`. It reads every open escalation of the customers
in scope with one query (their customer, team, reporter and newest response joined in), then runs the
policy's SLA clock on each in the customer's timezone and business calendar. An answered escalation
carries the update clock its thread runs (`next_update_due` of its latest sent message, set by the
post-send hook, workflow/followthrough/); `updates=True` lists only those, the soonest due first.

Scopes: `mine` is the customers whose team names the actor (as CSM, the CSM's manager, account
executive, support lead or executive sponsor); `team` is the customers whose CSM is the actor, reports
to the actor (directly or not) or shares the actor's manager; `all` is every customer the actor may
reach. Every scope is cut to what the access rule lets the actor reach. The account's CSM (`Actor()`:
the CLI without `--as`, a library caller) reaches every account: every customer is in every scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from ..auth.access import CustomerTeam, acting_staff, may_reach
from ..auth.actor import Actor
from ..errors import ConfigurationError
from ..models import (
    ESCALATION_SIGNAL_TYPES,
    SEVERITY_RANK,
    HealthPoint,
    Severity,
    SignalHead,
    SlaSummary,
    StaffMember,
    TrendDirection,
)
from ..store import Store
from ..utc import utcnow
from .context.context_rows import fetch_health
from .context.gather import HEALTH_WINDOW_DAYS, health_trend
from .policy import Policy
from .strategy.sla import sla_clock, zone

__all__ = ["Inbox", "OpenEscalation", "Scope", "open_escalations"]

Scope = Literal["mine", "team", "all"]
Conn = psycopg.Connection[dict[str, Any]]

_OPEN_SQL = """
SELECT s.id AS signal_id, s.customer_id, s.signal_type, s.severity, s.escalation_type, s.title, s.detected_at,
       s.response_sent_at, c.name AS customer, c.arr, c.health_score, c.timezone, c.metadata ->> 'country' AS country,
       c.csm_id, m.manager_id AS csm_manager_id, c.account_executive_id, c.support_lead_id,
       c.executive_sponsor_id, p.name AS reporter, r.id AS draft_id, r.status AS draft_status,
       (SELECT min(u.next_update_due) FROM escalation_responses u WHERE u.risk_signal_id = s.id
         AND u.next_update_due IS NOT NULL) AS next_update_due
FROM risk_signals s
JOIN customers c ON c.id = s.customer_id
LEFT JOIN staff m ON m.id = c.csm_id
LEFT JOIN contacts p ON p.id = s.reported_by_contact_id
LEFT JOIN LATERAL (
    SELECT id, status FROM escalation_responses WHERE risk_signal_id = s.id AND status <> 'rejected'
    ORDER BY created_at DESC, id DESC LIMIT 1
) r ON true
WHERE s.status = 'open' AND s.signal_type = ANY(%(types)s) AND s.severity = ANY(%(severities)s)
"""
_TEAM_CSMS_SQL = """
WITH RECURSIVE reports AS (
    SELECT id FROM staff WHERE manager_id = %(actor)s
    UNION SELECT s.id FROM staff s JOIN reports r ON s.manager_id = r.id
)
SELECT id FROM reports
UNION SELECT id FROM staff WHERE manager_id = (SELECT manager_id FROM staff WHERE id = %(actor)s)
UNION SELECT %(actor)s
"""
_TEAM_FIELDS = tuple(CustomerTeam.model_fields)


class OpenEscalation(SignalHead, SlaSummary):
    """One open escalation in an inbox, with where it stands against its SLA."""

    signal_id: str = Field(description="Risk signal id of the escalation.")
    customer_id: str = Field(description="Customer id.")
    customer: str = Field(description="Customer name.")
    reporter: str | None = Field(default=None, description="Name of the contact who raised it.")
    arr: float = Field(description="The customer's annual recurring revenue, USD.")
    health_score: int = Field(description="The customer's current health score, 0-100.")
    health_trend: TrendDirection = Field(description="declining, stable or improving over the health window.")
    health_change: int = Field(description="Points the health score moved over the window (negative = fell).")
    answered: bool = Field(description="True when a first response has been sent.")
    response_sent_at: datetime | None = Field(default=None, description="When the first response was sent.")
    next_update_due: datetime | None = Field(
        default=None, description="When the thread's next status update is owed (None: no update clock runs)."
    )
    minutes_to_next_update: int | None = Field(default=None, description="Minutes left to it; negative when overdue.")
    draft_id: str | None = Field(default=None, description="Newest response of this escalation that is not cancelled.")
    draft_status: str | None = Field(default=None, description="Its state: drafted, pending_approval, approved, sent, ...")


class Inbox(BaseModel):
    """An actor's open escalations, most urgent first."""

    scope: Scope = Field(description="mine, team or all (every customer the actor may reach).")
    severities: list[Severity] = Field(default_factory=list, description="Severities listed; empty = all.")
    updates: bool = Field(default=False, description="Only escalations whose thread runs an update clock.")
    total: int = Field(description="Open escalations in scope before the limit.")
    escalations: list[OpenEscalation] = Field(default_factory=list, description="Most urgent first.")


def _urgency_key(item: OpenEscalation) -> tuple[Any, ...]:
    """Unanswered before answered; breached first, the most severe of those first; then the nearest deadline."""
    due = item.next_update_due if item.answered and item.next_update_due else item.first_response_due
    breached = not item.answered and item.urgency == "breached"
    return (item.answered, not breached, -SEVERITY_RANK[item.severity] if breached else 0, due, item.signal_id)


def _in_scope(actor: StaffMember | None, team: CustomerTeam, scope: Scope, team_csms: set[str]) -> bool:
    if actor is None:
        return True
    if not may_reach(actor, team):
        return False
    if scope == "mine":
        return actor.id in team.member_ids()
    if scope == "team":
        return team.csm_id in team_csms
    return True


def _clocked(row: dict[str, Any], health: list[HealthPoint], policy: Policy, now: datetime) -> OpenEscalation:
    timezone = row["timezone"] or "UTC"
    try:
        zone(timezone)
    except ConfigurationError:  # an unknown zone in the data: count in UTC, as the strategy step does
        timezone = "UTC"
    clock = sla_clock(
        severity=row["severity"], started_at=row["detected_at"], timezone=timezone, country=row["country"],
        policy=policy, now=now,
    )
    sent, due = row["response_sent_at"], row["next_update_due"]
    trend = health_trend(points=health, current=row["health_score"], now=now)
    return OpenEscalation(
        **{k: row[k] for k in ("signal_id", "customer_id", "customer", "severity", "escalation_type", "signal_type",
                               "title", "reporter", "detected_at", "draft_id", "draft_status", "next_update_due",
                               "health_score")},
        arr=float(row["arr"]),
        health_trend=trend.direction,
        health_change=trend.change,
        first_response_due=clock.first_response_due,
        minutes_to_first_response_due=clock.minutes_to_first_response_due,
        urgency=clock.urgency,
        answered=sent is not None,
        response_sent_at=sent,
        minutes_to_next_update=int((due - now).total_seconds() // 60) if due else None,
    )


def _rows(conn: Conn, *, actor: StaffMember | None, scope: Scope, severities: Sequence[Severity]) -> list[dict[str, Any]]:
    team_csms: set[str] = set()
    if actor is not None and scope == "team":
        team_csms = {row["id"] for row in conn.execute(_TEAM_CSMS_SQL, {"actor": actor.id})}
    wanted = list(severities) or list(SEVERITY_RANK)
    rows = conn.execute(_OPEN_SQL, {"types": list(ESCALATION_SIGNAL_TYPES), "severities": wanted}).fetchall()
    return [
        row for row in rows
        if _in_scope(actor, CustomerTeam(**{k: row[k] for k in _TEAM_FIELDS}), scope, team_csms)
    ]


def open_escalations(
    store: Store,
    *,
    actor: Actor,
    policy: Policy,
    scope: Scope = "all",
    severities: Sequence[Severity] = (),
    limit: int | None = None,
    updates: bool = False,
    now: datetime | None = None,
) -> Inbox:
    """The open escalations in `scope` for `actor`, most urgent first, with their SLA clocks.

    Args:
        store: The database.
        actor: Who asks; a staff member sees only the customers they may reach.
        policy: The SLA policy the clocks run on.
        scope: mine, team or all (see the module docstring).
        severities: Only these severities (empty: all).
        limit: At most this many (None: all); `total` still counts every one in scope.
        updates: Only the escalations whose thread runs an update clock, the soonest due first.
        now: The moment the clocks are read at (default: the current time).

    Raises:
        NotFound: The actor's staff id is not in the staff directory.
    """
    moment = utcnow(now)
    with store.connection() as conn:
        rows = _rows(conn, actor=acting_staff(conn, actor), scope=scope, severities=severities)
        health = fetch_health(conn, sorted({row["customer_id"] for row in rows}),
                              moment - timedelta(days=HEALTH_WINDOW_DAYS))
    items = sorted((_clocked(row, health.get(row["customer_id"], []), policy, moment)
                    for row in rows if row["next_update_due"] or not updates),
                   key=_urgency_key)
    return Inbox(
        scope=scope,
        severities=list(severities),
        updates=updates,
        total=len(items),
        escalations=items[:limit] if limit is not None else items,
    )
