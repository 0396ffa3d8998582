"""Notifications about approvals and sends: recorded in `approval_notifications`, emailed when a mailer is given.

A notification is recorded inside the transaction of the decision it reports and emailed only after
that transaction committed (`deliver_notifications`), so a mail failure never undoes a decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ...errors import MailError, Refused
from ...mail.base import Address, Mailer, OutgoingEmail
from ...mail.message import make_message_id, message_token
from ...models import StaffMember
from ...rendering import render
from ...store import Store
from ...store.responses import Conn, Row, addresses, staff_member
from ...utc import utcnow

__all__ = ["NotificationKind", "NotificationView", "deliver_notifications", "mail_variables", "record_notification"]

NotificationKind = Literal[
    "approval_requested", "urgent_approval_requested", "expedited_approved", "approved", "rejected",
    "sent_on_your_account",
]


class NotificationView(BaseModel):
    """A recorded notification about an approval."""

    kind: NotificationKind = Field(description="What the notification says.")
    recipient_id: str | None = Field(default=None, description="Staff id notified.")
    recipient_email: str = Field(description="Address notified.")
    created_at: datetime = Field(description="When it was recorded.")
    delivery: Literal["recorded", "sent", "failed"] = Field(description="recorded (no mailer), sent or failed.")
    error: str | None = Field(default=None, description="Why the email failed, if it did.")


def record_notification(conn: Conn, *, kind: NotificationKind, approval_id: str, row: Row, recipient: StaffMember,
                        variables: dict[str, Any], now: datetime) -> int:
    """Render `notifications/<kind>.txt.j2` for `recipient` and record it; returns its id for delivery."""
    text = render(f"notifications/{kind}.txt.j2", recipient_first_name=recipient.name.split()[0],
                  recipient_id=recipient.id, approval_id=approval_id, response_id=row["id"], **variables)
    subject, _, body = text.partition("\n\n")
    found = conn.execute(
        "INSERT INTO approval_notifications (approval_id, response_id, kind, recipient_id, recipient_email,"
        " subject, body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (approval_id, row["id"], kind, recipient.id, recipient.email, subject.strip(), body.strip() + "\n", now),
    ).fetchone()
    return int(found["id"])


def mail_variables(row: Row, requester: StaffMember) -> dict[str, Any]:
    """What every approval notification shows: the escalation, who asks, and the exact message."""
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
                    raise Refused("delivery.no_sender")
                email = OutgoingEmail(
                    sender=Address(name=sender.name, email=sender.email),
                    to=[Address(name=recipient.name if recipient else None, email=note["recipient_email"])],
                    subject=note["subject"],
                    body=note["body"],
                    message_id=make_message_id(
                        domain=sender.email.rpartition("@")[2],
                        token=message_token("notice", note["approval_id"], note["id"]),
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
