"""Who may see and act on which customer: one rule for the API, the CLI's `--as` and the agent.

A staff member reaches a customer only as its CSM, the CSM's manager, its account executive,
support lead or executive sponsor, or as anyone with the role ``executive``. Everything
customer-scoped (the customer, its risk signals, responses and approvals) is invisible to anyone
else: lookups raise the same `NotFound` as an id that does not exist, so ids cannot be probed.

Approving a send needs, on top of reaching the customer, an approver role of the policy or being
the CSM's own manager.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from ..errors import CustomerNotFound, EscalationError, NotFound
from ..models import StaffMember
from ..store.responses import Row, load_response, resolve_actor, staff_member
from .actor import Actor

__all__ = [
    "ApproverRequired",
    "CustomerTeam",
    "acting_staff",
    "customer_team",
    "lock_reachable_response",
    "may_approve",
    "may_reach",
    "reach_filter",
    "require_approval_access",
    "require_customer_access",
    "require_response_access",
    "require_response_reach",
    "require_staff",
    "visible_customer_ids",
    "visible_response_ids",
]

Conn = psycopg.Connection[dict[str, Any]]

_TEAM_SQL = (
    "SELECT c.id AS customer_id, c.csm_id, m.manager_id AS csm_manager_id, c.account_executive_id,"
    " c.support_lead_id, c.executive_sponsor_id FROM customers c LEFT JOIN staff m ON m.id = c.csm_id"
)


class ApproverRequired(EscalationError):
    """The actor reaches the customer but may not decide approvals."""

    code = "forbidden"


class CustomerTeam(BaseModel):
    """The staff ids attached to one customer, as the access rule reads them."""

    customer_id: str = Field(description="Customer id.")
    csm_id: str = Field(description="The account's CSM.")
    csm_manager_id: str | None = Field(default=None, description="The CSM's manager.")
    account_executive_id: str | None = Field(default=None, description="Account executive.")
    support_lead_id: str | None = Field(default=None, description="Support lead.")
    executive_sponsor_id: str | None = Field(default=None, description="Executive sponsor.")

    def member_ids(self) -> set[str]:
        """Every staff id on the team."""
        ids = (self.csm_id, self.csm_manager_id, self.account_executive_id, self.support_lead_id, self.executive_sponsor_id)
        return {staff_id for staff_id in ids if staff_id}


def may_reach(actor: StaffMember, team: CustomerTeam) -> bool:
    """True when `actor` may see and act on the team's customer (pure)."""
    return actor.role == "executive" or actor.id in team.member_ids()


def may_approve(actor: StaffMember, team: CustomerTeam, *, approver_roles: Iterable[str]) -> bool:
    """True when `actor` may decide an approval for the team's customer (pure).

    Args:
        actor: Who decides.
        team: The customer's team.
        approver_roles: Roles that approve (`Policy.approval.approver_roles`).
    """
    if not may_reach(actor, team):
        return False
    return actor.role in set(approver_roles) or (team.csm_manager_id is not None and actor.id == team.csm_manager_id)


def require_staff(conn: Conn, *, staff_id: str) -> StaffMember:
    """The staff member who acts.

    Raises:
        NotFound: No such staff id in the directory.
    """
    actor = staff_member(conn, staff_id)
    if actor is None:
        raise NotFound("access.no_staff", staff_id=staff_id)
    return actor


def acting_staff(conn: Conn, actor: Actor) -> StaffMember | None:
    """The staff member behind `actor`, or None for the account's CSM (who reaches their account).

    Raises:
        NotFound: The actor's staff id is not in the directory.
    """
    return require_staff(conn, staff_id=actor.staff_id) if actor.staff_id is not None else None


def customer_team(conn: Conn, *, customer_id: str) -> CustomerTeam | None:
    """The team of one customer (exact id), or None when there is no such customer."""
    row = conn.execute(_TEAM_SQL + " WHERE c.id = %s", (customer_id,)).fetchone()
    return CustomerTeam(**row) if row else None


def reach_filter(actor: StaffMember | None) -> tuple[str, dict[str, Any]]:
    """The rule of `may_reach` as an SQL condition on customers aliased `c`, with its parameters.

    Everyone for None (admin and library use) or an executive; else the customers where `actor` is on
    the team (an index lookup per team column, and one on the staff's managers).
    """
    if actor is None or actor.role == "executive":
        return "TRUE", {}
    return (
        "(%(reach_actor)s IN (c.csm_id, c.account_executive_id, c.support_lead_id, c.executive_sponsor_id)"
        " OR c.csm_id IN (SELECT s.id FROM staff s WHERE s.manager_id = %(reach_actor)s))",
        {"reach_actor": actor.id},
    )


def visible_customer_ids(conn: Conn, *, actor: StaffMember) -> set[str]:
    """Ids of every customer `actor` reaches."""
    where, params = reach_filter(actor)
    return {row["id"] for row in conn.execute(f"SELECT c.id FROM customers c WHERE {where}", params)}


def visible_response_ids(conn: Conn, *, actor: StaffMember) -> set[str]:
    """Ids of every escalation response of a customer `actor` reaches."""
    customers = visible_customer_ids(conn, actor=actor)
    rows = conn.execute("SELECT id FROM escalation_responses WHERE customer_id = ANY(%s)", (list(customers),))
    return {row["id"] for row in rows}


def require_customer_access(conn: Conn, *, actor: StaffMember, customer_id: str) -> CustomerTeam:
    """The customer's team when `actor` reaches it.

    Raises:
        CustomerNotFound: No such customer id, or one `actor` may not reach (same answer, no suggestions).
    """
    team = customer_team(conn, customer_id=customer_id)
    if team is None or not may_reach(actor, team):
        raise CustomerNotFound("context.customer_missing", customer_id=customer_id)
    return team


def _require_owned(conn: Conn, *, actor: StaffMember, sql: str, entity_id: str, missing: tuple[str, dict[str, str]]) -> CustomerTeam:
    row = conn.execute(sql, (entity_id,)).fetchone()
    team = customer_team(conn, customer_id=row["customer_id"]) if row else None
    if team is None or not may_reach(actor, team):
        raise NotFound(missing[0], **missing[1])
    return team


def require_response_access(conn: Conn, *, actor: StaffMember, response_id: str) -> CustomerTeam:
    """The response's customer team when `actor` reaches it; else NotFound."""
    return _require_owned(
        conn,
        actor=actor,
        sql="SELECT customer_id FROM escalation_responses WHERE id = %s",
        entity_id=response_id,
        missing=("access.no_response", {"response_id": response_id}),
    )


def lock_reachable_response(conn: Conn, *, response_id: str, actor_id: str | None) -> tuple[Row, StaffMember]:
    """The response row locked (`FOR UPDATE`) and who acts on it (`actor_id`, default its sender), when they
    reach its customer: the first step of every change to a response.

    Raises:
        NotFound: No such response, an unknown staff id, or a customer the actor may not reach.
    """
    row = load_response(conn, response_id, lock=True)
    staff = resolve_actor(conn, row, actor_id)
    require_response_access(conn, actor=staff, response_id=response_id)
    return row, staff


def require_response_reach(conn: Conn, *, actor: Actor, response_id: str) -> None:
    """Refuse (NotFound) a staff member who may not reach the response; the account's CSM reaches it.

    Raises:
        NotFound: The actor's staff id is unknown, or their access rule hides the response.
    """
    staff = acting_staff(conn, actor)
    if staff is not None:
        require_response_access(conn, actor=staff, response_id=response_id)


def require_approval_access(
    conn: Conn, *, actor: StaffMember, approval_id: str, approver_roles: Iterable[str] | None = None
) -> CustomerTeam:
    """The approval's customer team when `actor` reaches it (and, with `approver_roles`, may decide it).

    Raises:
        NotFound: No such approval, or one of a customer `actor` may not reach.
        ApproverRequired: `approver_roles` given and `actor` is neither an approver nor the CSM's manager.
    """
    team = _require_owned(
        conn,
        actor=actor,
        sql="SELECT r.customer_id FROM approval_requests a JOIN escalation_responses r ON r.id = a.response_id"
        " WHERE a.id = %s",
        entity_id=approval_id,
        missing=("access.no_approval", {"approval_id": approval_id}),
    )
    if approver_roles is not None and not may_approve(actor, team, approver_roles=approver_roles):
        raise ApproverRequired("access.not_approver", name=actor.name, role=actor.role)
    return team
