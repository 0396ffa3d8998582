"""Customer replies from Gmail: each escalation thread the skill sent on is read back (`threads.get`)
and the customer's messages after our send become inbound communications of the customer.

A reply is a message of the thread that this mailbox did not send, from an address outside the
vendor's domain, received after our first message of the thread. It is stored once
(`communications.id = gmail-<message id>`), on the thread id the skill knows for the escalation,
with its `in_reply_to` in the metadata, and from the customer's contact when the address is one.
World files carry replies as inbound communications already; both are read the same way by the
outcomes.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from ..mail.gmail import GmailMailer
from ..mail.gmail_threads import ThreadMessage, thread_of
from ..store import Store

__all__ = ["sync_gmail_replies"]

_THREADS = """
SELECT DISTINCT ON (r.risk_signal_id) r.risk_signal_id, r.customer_id, r.email_id,
       coalesce(r.sent_thread_id, r.thread_id) AS thread_id, r.sent_at,
       v.email_domain
  FROM escalation_responses r CROSS JOIN vendor v
 WHERE r.status = 'sent' AND r.transport = 'gmail' AND r.email_id IS NOT NULL
 ORDER BY r.risk_signal_id, r.sent_at, r.id
"""


def _replies(thread: dict[str, Any], messages: list[ThreadMessage]) -> list[ThreadMessage]:
    domain = "@" + thread["email_domain"].lower()
    return [m for m in messages
            if not m.sent_by_mailbox and not m.sender.endswith(domain) and m.at > thread["sent_at"]]


def sync_gmail_replies(store: Store, *, mailer: GmailMailer) -> int:
    """Store the customers' new replies on every thread the skill sent on through Gmail; return how many.

    Raises:
        MailError: Gmail refused or could not be reached (nothing of that thread is stored).
    """
    with store.connection() as conn:
        threads = conn.execute(_THREADS).fetchall()
    added = 0
    for thread in threads:
        replies = _replies(thread, thread_of(mailer, thread["email_id"]))
        if not replies:
            continue
        with store.transaction() as conn:
            contacts = {r["email"]: r["id"] for r in conn.execute(
                "SELECT lower(email) AS email, id FROM contacts WHERE customer_id = %s", (thread["customer_id"],))}
            for reply in replies:
                inserted = conn.execute(
                    "INSERT INTO communications (id, customer_id, channel, direction, at, subject, body, contact_id,"
                    " thread_id, message_id, metadata) VALUES (%s, %s, 'email', 'inbound', %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING RETURNING id",
                    (f"gmail-{reply.gmail_id}", thread["customer_id"], reply.at, reply.subject, reply.body,
                     contacts.get(reply.sender), thread["thread_id"] or reply.thread_id, reply.message_id,
                     Jsonb({"source": "gmail", "gmail_thread_id": reply.thread_id, "in_reply_to": reply.in_reply_to,
                            "from": reply.sender})),
                ).fetchone()
                added += inserted is not None
    return added
