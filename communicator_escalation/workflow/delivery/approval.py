"""Step 4 approval: requests bound to the exact content, the expedited policy, decisions, notifications.

An approval request carries the sha256 of the canonical JSON of the exact To, CC, subject and body
(`store/responses.content_hash`); any edit voids it (see review/edits.py) and the send re-checks it. A normal send
waits for the CSM's manager (or an approver role). An urgent send of a severity in
`ApprovalPolicy.expedite_severities` is approved at once as `policy:expedited` and the manager is
told; a lower-severity urgent send goes to the top of the queue and the approver is told at once.
Every notification is recorded in `approval_notifications`, and also emailed internally when a
mailer is given (after the database transaction, so a mail failure never undoes a decision).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ...auth.access import require_approval_access, require_response_access
from ...errors import MailError, NotFound, Refused
from ...mail.base import Address, Mailer, OutgoingEmail
from ...mail.message import make_message_id
from ...models import SEVERITY_RANK, StaffMember
from ...rendering import render
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
    utcnow,
)
from ..drafting.gate import require_sendable
from ..policy import ApprovalPolicy, EmailPolicy

__all__ = [
    "EXPEDITED_ACTOR",
    "ApprovalStatus",
    "ApprovalView",
    "NotificationView",
    "approval_status",
    "approve_send",
    "deliver_notifications",
    "list_approvals",
    "reject_send",
    "request_approval",
    "submit_for_approval",
]

EXPEDITED_ACTOR = "policy:expedited"
URGENT_PRIORITY = 100
NotificationKind = Literal[
    "approval_requested", "urgent_approval_requested", "expedited_approved", "approved", "rejected"
]
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


class ApprovalView(BaseModel):
    """One approval request as approvers and the CSM see it."""

    id: str = Field(description="Approval id.")
    response_id: str = Field(description="The response it approves.")
    customer_name: str = Field(description="Customer.")
    severity: str = Field(description="Escalation severity.")
    subject: str = Field(description="Subject of the response.")
    status: Literal["pending", "approved", "rejected", "void"] = Field(description="Request state.")
    urgent: bool = Field(description="Asked as 'Send Urgently'.")
    expedited: bool = Field(description="Approved at once by the expedited policy.")
    priority: int = Field(description="Queue priority; higher first.")
    requested_by: str | None = Field(default=None, description="Staff id who asked.")
    requested_at: datetime = Field(description="When it was asked.")
    approver_id: str | None = Field(default=None, description="Designated approver (the CSM's manager).")
    approver_name: str | None = Field(default=None, description="Name of the designated approver.")
    decided_by: str | None = Field(default=None, description="Staff id or policy:expedited.")
    decided_at: datetime | None = Field(default=None, description="When it was decided.")
    reason: str | None = Field(default=None, description="Reason given with the decision.")
    content_hash: str = Field(description="sha256 of the To, CC, subject and body approved.")
    queue_position: int | None = Field(default=None, description="1 = next to be decided (pending only).")


class NotificationView(BaseModel):
    """A recorded notification about an approval."""

    kind: NotificationKind = Field(description="What the notification says.")
    recipient_id: str | None = Field(default=None, description="Staff id notified.")
    recipient_email: str = Field(description="Address notified.")
    created_at: datetime = Field(description="When it was recorded.")
    delivery: Literal["recorded", "sent", "failed"] = Field(description="recorded (no mailer), sent or failed.")
    error: str | None = Field(default=None, description="Why the email failed, if it did.")


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
        raise NotFound(f"no approval request '{approval_id}'")
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
        raise Refused(f"{sender.name} has no manager and nobody holds an approver role "
                      f"({', '.join(policy.approver_roles)}); nobody can approve this send")
    return holders[0]


def _record_notification(conn: Conn, *, kind: NotificationKind, approval_id: str, row: Row, recipient: StaffMember,
                         variables: dict[str, Any], now: datetime) -> int:
    text = render(f"notifications/{kind}.txt.j2", recipient_first_name=recipient.name.split()[0],
                  recipient_id=recipient.id, approval_id=approval_id, response_id=row["id"], **variables)
    subject, _, body = text.partition("\n\n")
    found = conn.execute(
        "INSERT INTO approval_notifications (approval_id, response_id, kind, recipient_id, recipient_email,"
        " subject, body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (approval_id, row["id"], kind, recipient.id, recipient.email, subject.strip(), body.strip() + "\n", now),
    ).fetchone()
    return int(found["id"])


def _mail_variables(row: Row, requester: StaffMember) -> dict[str, Any]:
    return {
        "customer": row["customer_name"],
        "severity": row["severity"],
        "escalation_title": row["signal_title"],
        "requester": requester.name,
        "to": addresses(row["to_addrs"]),
        "cc": addresses(row["cc_addrs"]),
        "subject": row["subject"],
        "body": row["body"],
    }


def request_approval(conn: Conn, *, row: Row, actor: StaffMember, urgent: bool, policy: ApprovalPolicy,
                     now: datetime) -> tuple[Row, list[int]]:
    """Create (or upgrade to urgent) the approval request of a locked response row, inside a transaction.

    Returns the approval row and the ids of the notifications to deliver after commit. The response
    ends `pending_approval`, or `approved` when the expedited policy applies.
    """
    sender = sender_of(conn, row)
    approver = _designated_approver(conn, sender, policy)
    digest = content_hash(row)
    rank = SEVERITY_RANK[row["severity"]]
    expedite = urgent and row["severity"] in policy.expedite_severities
    variables = _mail_variables(row, actor)
    notify: list[int] = []
    stale = conn.execute(
        "UPDATE approval_requests SET status = 'void', decided_at = %s, decided_by = %s,"
        " reason = 'content changed after the request' WHERE response_id = %s AND status = 'pending'"
        " AND content_hash <> %s RETURNING id",
        (now, actor.id, row["id"], digest),
    ).fetchall()
    for old in stale:
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=old["id"], action="void",
              detail={"reason": "content changed after the request"}, now=now)
    current = _latest_approval(conn, row["id"])
    if current is not None and current["status"] == "pending" and current["content_hash"] == digest:
        if not urgent or current["urgent"]:
            return current, notify
        conn.execute("UPDATE approval_requests SET urgent = true, priority = %s WHERE id = %s",
                     (URGENT_PRIORITY + rank, current["id"]))
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=current["id"], action="marked_urgent",
              detail={"priority": URGENT_PRIORITY + rank}, now=now)
        approval_id = current["id"]
    else:
        approval_id = f"apr-{secrets.token_hex(5)}"
        conn.execute(
            "INSERT INTO approval_requests (id, response_id, content_hash, status, urgent, priority, requested_by,"
            " requested_at, approver_id) VALUES (%s, %s, %s, 'pending', %s, %s, %s, %s, %s)",
            (approval_id, row["id"], digest, urgent, (URGENT_PRIORITY if urgent else 0) + rank, actor.id, now,
             approver.id),
        )
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval_id, action="requested",
              detail={"urgent": urgent, "content_hash": digest, "approver_id": approver.id}, now=now)
        set_status(conn, row, "pending_approval", actor=actor.id, now=now, action="submitted",
                   detail={"approval_id": approval_id, "urgent": urgent})
    if expedite:
        conn.execute(
            "UPDATE approval_requests SET status = 'approved', decided_by = %s, decided_at = %s, reason = %s"
            " WHERE id = %s",
            (EXPEDITED_ACTOR, now, f"urgent {row['severity']} escalation", approval_id),
        )
        audit(conn, actor=EXPEDITED_ACTOR, entity=APPROVAL_ENTITY, entity_id=approval_id, action="approved",
              detail={"severity": row["severity"], "expedite_severities": list(policy.expedite_severities)}, now=now)
        set_status(conn, row, "approved", actor=EXPEDITED_ACTOR, now=now, detail={"approval_id": approval_id})
        kind: NotificationKind = "expedited_approved"
    else:
        kind = "urgent_approval_requested" if urgent else "approval_requested"
    notify.append(_record_notification(conn, kind=kind, approval_id=approval_id, row=row, recipient=approver,
                                       variables=variables, now=now))
    return _load_approval(conn, approval_id), notify


def submit_for_approval(store: Store, *, response_id: str, actor_id: str | None = None, urgent: bool = False,
                        policy: ApprovalPolicy | None = None, mailer: Mailer | None = None,
                        now: datetime | None = None) -> ApprovalStatus:
    """Ask for approval of a drafted response (what `send` does first; usable on its own).

    Raises:
        Refused: Wrong state (only drafted or pending_approval), no To, actor not on the account.
    """
    policy = policy or ApprovalPolicy()
    at = utcnow(now)
    with store.transaction() as conn:
        row = load_response(conn, response_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_response_access(conn, actor=actor, response_id=response_id)
        if row["status"] not in ("drafted", "pending_approval"):
            raise Refused(f"response {response_id} is {row['status']}; only a drafted response is submitted")
        if not addresses(row["to_addrs"]):
            raise Refused(f"response {response_id} has no To recipient; choose a contact with edit --to first")
        require_sendable(conn, row, policy=EmailPolicy())
        _, notify = request_approval(conn, row=row, actor=actor, urgent=urgent, policy=policy, now=at)
    deliver_notifications(store, ids=notify, mailer=mailer, now=at)
    return approval_status(store, response_id=response_id)


def _decide(store: Store, *, approval_id: str, actor_id: str | None, approve: bool, reason: str | None,
            policy: ApprovalPolicy, mailer: Mailer | None, now: datetime | None) -> ApprovalStatus:
    at = utcnow(now)
    verb = "approve" if approve else "reject"
    with store.transaction() as conn:
        approval = _load_approval(conn, approval_id)
        row = load_response(conn, approval["response_id"], lock=True)
        approval = _load_approval(conn, approval_id, lock=True)
        actor = resolve_actor(conn, row, actor_id)
        require_approval_access(conn, actor=actor, approval_id=approval_id)
        sender = sender_of(conn, row)
        if approval["status"] != "pending":
            by = f" by {approval['decided_by']}" if approval["decided_by"] else ""
            raise Refused(f"approval {approval_id} is already {approval['status']}{by}; nothing to {verb}")
        if actor.id in {sender.id, approval["requested_by"]}:
            raise Refused(f"{actor.name} cannot {verb} their own send; it needs "
                          f"{approval['approver_name'] or 'their manager'} or another approver")
        require_approval_access(conn, actor=actor, approval_id=approval_id, approver_roles=policy.approver_roles)
        if content_hash(row) != approval["content_hash"] or row["status"] != "pending_approval":
            raise Refused(f"approval {approval_id} no longer matches response {row['id']} ({row['status']})")
        status = "approved" if approve else "rejected"
        conn.execute(
            "UPDATE approval_requests SET status = %s, decided_by = %s, decided_at = %s, reason = %s WHERE id = %s",
            (status, actor.id, at, reason, approval_id),
        )
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval_id, action=status,
              detail={"reason": reason}, now=at)
        set_status(conn, row, status, actor=actor.id, now=at, detail={"approval_id": approval_id, "reason": reason})
        requester = staff_member(conn, approval["requested_by"]) or sender
        notify = [_record_notification(
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


def deliver_notifications(store: Store, *, ids: list[int], mailer: Mailer | None, now: datetime | None = None) -> None:
    """Email recorded notifications through `mailer` (no mailer: they stay `recorded`).

    A failing email marks that notification `failed` with the error; it never raises.
    """
    if mailer is None or not ids:
        return
    at = utcnow(now)
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT n.*, r.sender_id, c.csm_id FROM approval_notifications n"
            " JOIN escalation_responses r ON r.id = n.response_id JOIN customers c ON c.id = r.customer_id"
            " WHERE n.id = ANY(%s) AND n.delivery = 'recorded' ORDER BY n.id",
            (ids,),
        ).fetchall()
        for note in rows:
            sender = staff_member(conn, note["sender_id"] or note["csm_id"])
            recipient = staff_member(conn, note["recipient_id"])
            try:
                if sender is None:
                    raise Refused("the response has no sender in the staff directory")
                email = OutgoingEmail(
                    sender=Address(name=sender.name, email=sender.email),
                    to=[Address(name=recipient.name if recipient else None, email=note["recipient_email"])],
                    subject=note["subject"],
                    body=note["body"],
                    message_id=make_message_id(
                        domain=sender.email.rpartition("@")[2],
                        token=_TOKEN_UNSAFE.sub("-", f"notice-{note['approval_id']}-{note['id']}"),
                    ),
                )
                receipt = mailer.send_draft(mailer.create_draft(email))
            except (MailError, Refused) as err:
                conn.execute(
                    "UPDATE approval_notifications SET delivery = 'failed', transport = %s, error = %s WHERE id = %s",
                    (mailer.name, err.message, note["id"]),
                )
                continue
            conn.execute(
                "UPDATE approval_notifications SET delivery = 'sent', transport = %s, email_id = %s,"
                " delivered_at = %s WHERE id = %s",
                (mailer.name, receipt.email_id, at, note["id"]),
            )
