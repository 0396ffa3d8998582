"""Step 4 approval: requests bound to the exact content, the expedited policy, decisions, notifications.

An approval request carries the sha256 of the canonical JSON of the exact To, CC, subject and body
(`store/responses.content_hash`); any edit voids it (see review/edits.py) and the send re-checks it. A normal send
waits for the CSM's manager (or an approver role). An urgent send is approved at once as
`policy:expedited` only under the least-privilege rule of expedite.py (severity in
`ApprovalPolicy.expedite_severities`, sent by the account's CSM or an approver who saw the exact
content), and the manager is told; any other urgent send goes to the top of the queue and the
approver is told at once. The account's CSM is told whenever someone else sends on their account.
Notifications are recorded and delivered by notices.py.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ...auth.access import lock_reachable_response, require_approval_access
from ...errors import NotFound, Refused
from ...mail.base import Mailer
from ...models import SEVERITY_RANK, StaffMember
from ...rendering import phrases
from ...store import Store
from ...store.responses import (
    APPROVAL_ENTITY,
    Conn,
    Row,
    addresses,
    all_staff,
    audit,
    content_hash,
    load_response,
    resolve_actor,
    sender_of,
    set_status,
    staff_member,
    void_approvals,
)
from ...utc import utcnow
from ..drafting.gate import require_sendable
from ..policy import ApprovalPolicy, EmailPolicy
from .expedite import expedite_refusal
from .notices import NotificationKind, NotificationView, deliver_notifications, mail_variables, record_notification

__all__ = [
    "EXPEDITED_ACTOR",
    "ApprovalHead",
    "ApprovalStatus",
    "ApprovalView",
    "approval_status",
    "approve_send",
    "list_approvals",
    "reject_send",
    "request_approval",
    "submit_for_approval",
]

EXPEDITED_ACTOR = "policy:expedited"
URGENT_PRIORITY = 100


class ApprovalHead(BaseModel):
    """An approval request as a send reports it: its id, state, who decided and whether it was expedited."""

    id: str = Field(description="Approval request id.")
    status: Literal["pending", "approved", "rejected", "void"] = Field(description="pending, approved, rejected or void.")
    decided_by: str | None = Field(
        default=None, description="Who decided: the approver, or 'policy:expedited' for automatic approval."
    )
    expedited: bool = Field(default=False, description="Approved at once by the expedited policy.")


class ApprovalView(ApprovalHead):
    """One approval request as approvers and the CSM see it."""

    response_id: str = Field(description="The response it approves.")
    customer_name: str = Field(description="Customer.")
    severity: str = Field(description="Escalation severity.")
    subject: str = Field(description="Subject of the response.")
    urgent: bool = Field(description="Asked as 'Send Urgently'.")
    priority: int = Field(description="Queue priority; higher first.")
    requested_by: str | None = Field(default=None, description="Staff id who asked.")
    requested_at: datetime = Field(description="When it was asked.")
    approver_id: str | None = Field(default=None, description="Designated approver (the CSM's manager).")
    approver_name: str | None = Field(default=None, description="Name of the designated approver.")
    decided_at: datetime | None = Field(default=None, description="When it was decided.")
    reason: str | None = Field(default=None, description="Reason given with the decision.")
    content_hash: str = Field(description="sha256 of the To, CC, subject and body approved.")
    queue_position: int | None = Field(default=None, description="1 = next to be decided (pending only).")


class ApprovalStatus(BaseModel):
    """Where a response's approval stands."""

    response_id: str = Field(description="Response id.")
    response_status: str = Field(description="State of the response.")
    approval: ApprovalView | None = Field(default=None, description="The current (latest) approval request.")
    content_matches: bool = Field(description="The response still has exactly the approved/requested content.")
    notifications: list[NotificationView] = Field(default_factory=list, description="Who was told, oldest first.")


_APPROVAL_SELECT = (
    "SELECT a.*, r.subject, r.customer_id, c.name AS customer_name, s.severity, st.name AS approver_name"
    " FROM approval_requests a JOIN escalation_responses r ON r.id = a.response_id"
    " JOIN customers c ON c.id = r.customer_id JOIN risk_signals s ON s.id = r.risk_signal_id"
    " LEFT JOIN staff st ON st.id = a.approver_id"
)


def _queue_position(conn: Conn, approval: Row) -> int | None:
    if approval["status"] != "pending":
        return None
    found = conn.execute(
        "SELECT count(*) AS ahead FROM approval_requests WHERE status = 'pending' AND id <> %s"
        " AND (priority > %s OR (priority = %s AND requested_at < %s))",
        (approval["id"], approval["priority"], approval["priority"], approval["requested_at"]),
    ).fetchone()
    return int(found["ahead"]) + 1


def _approval_view(conn: Conn, approval: Row) -> ApprovalView:
    return ApprovalView(
        **{k: approval[k] for k in ApprovalView.model_fields if k not in ("expedited", "queue_position")},
        expedited=approval["decided_by"] == EXPEDITED_ACTOR,
        queue_position=_queue_position(conn, approval),
    )


def _load_approval(conn: Conn, approval_id: str, *, lock: bool = False) -> Row:
    row = conn.execute(
        _APPROVAL_SELECT + " WHERE a.id = %s" + (" FOR UPDATE OF a" if lock else ""), (approval_id,)
    ).fetchone()
    if row is None:
        raise NotFound("access.no_approval", approval_id=approval_id)
    return row


def _latest_approval(conn: Conn, response_id: str) -> Row | None:
    return conn.execute(
        _APPROVAL_SELECT + " WHERE a.response_id = %s ORDER BY a.seq DESC LIMIT 1",
        (response_id,),
    ).fetchone()


def _designated_approver(conn: Conn, sender: StaffMember, policy: ApprovalPolicy) -> StaffMember:
    """The CSM's manager; without one, the first staff member holding an approver role."""
    manager = staff_member(conn, sender.manager_id)
    if manager is not None:
        return manager
    order = {role: i for i, role in enumerate(policy.approver_roles)}
    holders = sorted((s for s in all_staff(conn) if s.role in order and s.id != sender.id), key=lambda s: order[s.role])
    if not holders:
        raise Refused("delivery.no_approver", name=sender.name, roles=policy.approver_roles)
    return holders[0]


def _void_stale(conn: Conn, *, row: Row, actor: StaffMember, digest: str, now: datetime) -> None:
    """Void pending requests bound to content the response no longer has."""
    void_approvals(conn, response_id=row["id"], actor=actor.id, now=now, states=("pending",), unless_hash=digest,
                   reason=phrases("delivery/reasons.j2").content_changed())


def _new_request(conn: Conn, *, row: Row, actor: StaffMember, approver: StaffMember, digest: str, urgent: bool,
                 refusal: str | None, now: datetime) -> str:
    approval_id = f"apr-{secrets.token_hex(5)}"
    priority = (URGENT_PRIORITY if urgent else 0) + SEVERITY_RANK[row["severity"]]
    conn.execute(
        "INSERT INTO approval_requests (id, response_id, content_hash, status, urgent, priority, requested_by,"
        " requested_at, approver_id) VALUES (%s, %s, %s, 'pending', %s, %s, %s, %s, %s)",
        (approval_id, row["id"], digest, urgent, priority, actor.id, now, approver.id),
    )
    audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval_id, action="requested", now=now,
          detail={"urgent": urgent, "content_hash": digest, "approver_id": approver.id, "not_expedited": refusal})
    set_status(conn, row, "pending_approval", actor=actor.id, now=now, action="submitted",
               detail={"approval_id": approval_id, "urgent": urgent})
    return approval_id


def _mark_urgent(conn: Conn, *, row: Row, approval_id: str, actor: StaffMember, refusal: str | None,
                 now: datetime) -> None:
    priority = URGENT_PRIORITY + SEVERITY_RANK[row["severity"]]
    conn.execute("UPDATE approval_requests SET urgent = true, priority = %s WHERE id = %s", (priority, approval_id))
    audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval_id, action="marked_urgent", now=now,
          detail={"priority": priority, "not_expedited": refusal})


def _expedite(conn: Conn, *, row: Row, approval_id: str, actor: StaffMember, policy: ApprovalPolicy,
              now: datetime) -> None:
    conn.execute(
        "UPDATE approval_requests SET status = 'approved', decided_by = %s, decided_at = %s, reason = %s WHERE id = %s",
        (EXPEDITED_ACTOR, now, phrases("delivery/reasons.j2").expedited(row["severity"]), approval_id),
    )
    audit(conn, actor=EXPEDITED_ACTOR, entity=APPROVAL_ENTITY, entity_id=approval_id, action="approved", now=now,
          detail={"severity": row["severity"], "expedite_severities": list(policy.expedite_severities),
                  "sender": actor.id})
    set_status(conn, row, "approved", actor=EXPEDITED_ACTOR, now=now, detail={"approval_id": approval_id})


def request_approval(conn: Conn, *, row: Row, actor: StaffMember, urgent: bool, policy: ApprovalPolicy,
                     now: datetime, pinned: bool = False) -> tuple[Row, list[int]]:
    """Create (or upgrade to urgent) the approval request of a locked response row, inside a transaction.

    An urgent send is approved at once only under the least-privilege rule (`expedite.expedite_refusal`);
    otherwise it waits at the top of the designated approver's queue. The approver is told, and the
    account's CSM too when someone else sends on their account. `pinned`: the sender was shown this
    exact content (the review card's hash). Returns the approval row and the ids of the notifications
    to deliver after commit; the response ends `pending_approval`, or `approved` when expedited.
    """
    approver = _designated_approver(conn, sender_of(conn, row), policy)
    digest = content_hash(row)
    _void_stale(conn, row=row, actor=actor, digest=digest, now=now)
    refusal = expedite_refusal(conn, row=row, actor=actor, policy=policy, pinned=pinned) if urgent else "not_urgent"
    current = _latest_approval(conn, row["id"])
    pending = current is not None and current["status"] == "pending" and current["content_hash"] == digest
    if pending and (not urgent or (current["urgent"] and refusal is not None)):
        return current, []
    if pending:
        approval_id = current["id"]
        if not current["urgent"]:
            _mark_urgent(conn, row=row, approval_id=approval_id, actor=actor, refusal=refusal, now=now)
    else:
        approval_id = _new_request(conn, row=row, actor=actor, approver=approver, digest=digest, urgent=urgent,
                                   refusal=refusal if urgent else None, now=now)
    if refusal is None:
        _expedite(conn, row=row, approval_id=approval_id, actor=actor, policy=policy, now=now)
    kind: NotificationKind = ("expedited_approved" if refusal is None
                              else "urgent_approval_requested" if urgent else "approval_requested")
    variables = mail_variables(row, actor) | {"urgent": urgent, "expedited": refusal is None,
                                              "approver": approver.name}
    notify = [record_notification(conn, kind=kind, approval_id=approval_id, row=row, recipient=approver,
                                  variables=variables, now=now)]
    csm = staff_member(conn, row["csm_id"])
    if csm is not None and actor.id != csm.id:
        notify.append(record_notification(conn, kind="sent_on_your_account", approval_id=approval_id, row=row,
                                          recipient=csm, variables=variables, now=now))
    return _load_approval(conn, approval_id), notify


def submit_for_approval(store: Store, *, response_id: str, actor_id: str | None = None, urgent: bool = False,
                        policy: ApprovalPolicy | None = None, email: EmailPolicy | None = None,
                        mailer: Mailer | None = None, now: datetime | None = None) -> ApprovalStatus:
    """Ask for approval of a drafted response (what `send` does first; usable on its own).

    The send gate reads the content with `email` (the policy's allowed commitments; default the product's).

    Raises:
        Refused: Wrong state (only drafted or pending_approval), no To, actor not on the account.
    """
    policy = policy or ApprovalPolicy()
    at = utcnow(now)
    with store.transaction() as conn:
        row, actor = lock_reachable_response(conn, response_id=response_id, actor_id=actor_id)
        if row["status"] not in ("drafted", "pending_approval"):
            raise Refused("delivery.not_drafted", response_id=response_id, status=row["status"])
        if not addresses(row["to_addrs"]):
            raise Refused("delivery.no_to", response_id=response_id)
        require_sendable(conn, row, policy=email or EmailPolicy())
        _, notify = request_approval(conn, row=row, actor=actor, urgent=urgent, policy=policy, now=at)
    deliver_notifications(store, ids=notify, mailer=mailer, now=at)
    return approval_status(store, response_id=response_id)


def _decide(store: Store, *, approval_id: str, actor_id: str | None, approve: bool, reason: str | None,
            policy: ApprovalPolicy, mailer: Mailer | None, now: datetime | None) -> ApprovalStatus:
    at = utcnow(now)
    with store.transaction() as conn:
        approval = _load_approval(conn, approval_id)
        row = load_response(conn, approval["response_id"], lock=True)
        approval = _load_approval(conn, approval_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_approval_access(conn, actor=actor, approval_id=approval_id)
        sender = sender_of(conn, row)
        if approval["status"] != "pending":
            raise Refused("delivery.already_decided", approval_id=approval_id, status=approval["status"],
                          decided_by=approval["decided_by"], approve=approve)
        if actor.id in {sender.id, approval["requested_by"]}:
            raise Refused("delivery.own_send", name=actor.name, approve=approve, approver=approval["approver_name"])
        require_approval_access(conn, actor=actor, approval_id=approval_id, approver_roles=policy.approver_roles)
        if content_hash(row) != approval["content_hash"] or row["status"] != "pending_approval":
            raise Refused("delivery.stale_approval", approval_id=approval_id, response_id=row["id"], status=row["status"])
        status = "approved" if approve else "rejected"
        conn.execute(
            "UPDATE approval_requests SET status = %s, decided_by = %s, decided_at = %s, reason = %s WHERE id = %s",
            (status, actor.id, at, reason, approval_id),
        )
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval_id, action=status,
              detail={"reason": reason}, now=at)
        set_status(conn, row, status, actor=actor.id, now=at, detail={"approval_id": approval_id, "reason": reason})
        requester = staff_member(conn, approval["requested_by"]) or sender
        notify = [record_notification(
            conn, kind=status, approval_id=approval_id, row=row, recipient=requester, now=at,
            variables={"customer": row["customer_name"], "subject": row["subject"], "decider": actor.name,
                       "reason": reason},
        )]
    deliver_notifications(store, ids=notify, mailer=mailer, now=at)
    return approval_status(store, response_id=row["id"])


def approve_send(store: Store, *, approval_id: str, actor_id: str | None = None, reason: str | None = None,
                 policy: ApprovalPolicy | None = None, mailer: Mailer | None = None,
                 now: datetime | None = None) -> ApprovalStatus:
    """Approve a pending request; the response becomes `approved` (sending is `send_response`'s job).

    Args:
        store: The database.
        approval_id: The request.
        actor_id: Staff id of the approver; default the account's CSM (who is refused: own send).
        reason: Optional note to the CSM.
        policy: Approval policy (approver roles).
        mailer: When given, the CSM is also told by internal email.
        now: Clock override.

    Raises:
        Refused: Own send, not pending, content changed.
        ApproverRequired: The actor is neither the CSM's manager nor holds an approver role.
        NotFound: Unknown approval or staff id, or a customer the actor does not reach.
    """
    return _decide(store, approval_id=approval_id, actor_id=actor_id, approve=True, reason=reason,
                   policy=policy or ApprovalPolicy(), mailer=mailer, now=now)


def reject_send(store: Store, *, approval_id: str, actor_id: str | None = None, reason: str | None = None,
                policy: ApprovalPolicy | None = None, mailer: Mailer | None = None,
                now: datetime | None = None) -> ApprovalStatus:
    """Reject a pending request; the response becomes `rejected` until edited. Same checks as `approve_send`."""
    return _decide(store, approval_id=approval_id, actor_id=actor_id, approve=False, reason=reason,
                   policy=policy or ApprovalPolicy(), mailer=mailer, now=now)


def approval_status(store: Store, *, response_id: str) -> ApprovalStatus:
    """Where the response's approval stands: request, queue position, decision, who was notified.

    Raises:
        NotFound: No such response.
    """
    with store.connection() as conn:
        row = load_response(conn, response_id)
        approval = _latest_approval(conn, response_id)
        notes = conn.execute(
            "SELECT kind, recipient_id, recipient_email, created_at, delivery, error FROM approval_notifications"
            " WHERE response_id = %s ORDER BY id",
            (response_id,),
        ).fetchall()
        return ApprovalStatus(
            response_id=response_id,
            response_status=row["status"],
            approval=_approval_view(conn, approval) if approval else None,
            content_matches=approval is not None and approval["content_hash"] == content_hash(row),
            notifications=[NotificationView(**n) for n in notes],
        )


def list_approvals(store: Store, *, status: str | None = "pending", approver_id: str | None = None) -> list[ApprovalView]:
    """Approval requests, highest priority and oldest first; `status=None` lists every state."""
    where, params = [], []
    if status is not None:
        where.append("a.status = %s")
        params.append(status)
    if approver_id is not None:
        where.append("a.approver_id = %s")
        params.append(approver_id)
    sql = _APPROVAL_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    with store.connection() as conn:
        rows = conn.execute(sql + " ORDER BY a.priority DESC, a.requested_at, a.id", params).fetchall()
        return [_approval_view(conn, r) for r in rows]
