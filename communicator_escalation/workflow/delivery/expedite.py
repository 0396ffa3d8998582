"""Least privilege for expedited sends: when an urgent send may be approved at once, by policy.

Only when all hold: the escalation's severity is in `ApprovalPolicy.expedite_severities`; the
sender is the account's CSM or an approver of it (`ApprovalPolicy.expedite_senders`, which a policy
file can narrow but not widen); and when someone without that right (an account executive, a
support lead) changed the content last, the sender pinned the exact content they were shown (the
chat's review card). Anyone else's urgent send waits, at the top of the queue, for a human approver.
"""

from __future__ import annotations

from typing import Literal

from ...auth.access import customer_team, may_approve
from ...models import StaffMember
from ...store.responses import RESPONSE_ENTITY, Conn, Row, staff_member
from ..policy import ApprovalPolicy

__all__ = ["CONTENT_ACTIONS", "ExpediteRefusal", "expedite_refusal", "last_content_author"]

ExpediteRefusal = Literal["severity", "sender", "content_by_other"]
CONTENT_ACTIONS = ("drafted", "edited", "cc_added", "cc_removed", "recipient_changed", "content_restored")


def last_content_author(conn: Conn, response_id: str) -> str | None:
    """The staff id of the last person who made or changed the response's content (None: only the system did)."""
    found = conn.execute(
        "SELECT actor FROM audit_log WHERE entity = %s AND entity_id = %s AND action = ANY(%s)"
        " AND actor NOT LIKE 'system:%%' AND actor NOT LIKE 'policy:%%' ORDER BY id DESC LIMIT 1",
        (RESPONSE_ENTITY, response_id, list(CONTENT_ACTIONS)),
    ).fetchone()
    return found["actor"] if found else None


def _may_expedite(conn: Conn, *, row: Row, staff_id: str, policy: ApprovalPolicy) -> bool:
    """True when this staff member is the account's CSM or an approver of it, as the policy allows."""
    if "csm" in policy.expedite_senders and staff_id == row["csm_id"]:
        return True
    team = customer_team(conn, customer_id=row["customer_id"])
    member = staff_member(conn, staff_id)
    return ("approver" in policy.expedite_senders and team is not None and member is not None
            and may_approve(member, team, approver_roles=policy.approver_roles))


def expedite_refusal(conn: Conn, *, row: Row, actor: StaffMember, policy: ApprovalPolicy,
                     pinned: bool) -> ExpediteRefusal | None:
    """Why `actor`'s urgent send of the locked response row may not be approved at once; None when it may.

    `content_by_other`: someone without that right changed the content last and the sender did not
    pin the content they were shown, so nobody who may expedite is known to have seen it.
    """
    if row["severity"] not in policy.expedite_severities:
        return "severity"
    if not _may_expedite(conn, row=row, staff_id=actor.id, policy=policy):
        return "sender"
    author = last_content_author(conn, row["id"])
    if not pinned and author not in (None, actor.id) and not _may_expedite(conn, row=row, staff_id=author,
                                                                           policy=policy):
        return "content_by_other"
    return None
