"""Read an escalation thread back from Gmail: `messages.get` finds the thread of a sent email,
`threads.get` lists its messages (the customer's replies among them). Read-only; each call once."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, Field

from .gmail import GmailMailer, _header
from ..utc import utcnow

__all__ = ["ThreadMessage", "thread_of"]


class ThreadMessage(BaseModel):
    """One message of a Gmail thread."""

    gmail_id: str = Field(description="Gmail message id.")
    thread_id: str = Field(description="Gmail thread id.")
    message_id: str | None = Field(default=None, description="RFC 5322 Message-ID.")
    in_reply_to: str | None = Field(default=None, description="Message-ID it replies to.")
    sender: str = Field(description="From address, lower-cased.")
    subject: str | None = Field(default=None, description="Subject.")
    at: datetime = Field(description="When Gmail received it (internalDate), else its Date header.")
    body: str = Field(description="Plain-text body (the snippet when the message has no text part).")
    sent_by_mailbox: bool = Field(description="True for messages this mailbox sent (label SENT).")


def _text(payload: dict[str, Any]) -> str | None:
    """The first text/plain part of a `full` payload, decoded."""
    if payload.get("mimeType") == "text/plain" and payload.get("body", {}).get("data"):
        data = payload["body"]["data"]
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", errors="replace")
    for part in payload.get("parts", []) or []:
        found = _text(part)
        if found is not None:
            return found
    return None


def _when(message: dict[str, Any], date_header: str | None) -> datetime:
    if message.get("internalDate"):
        return datetime.fromtimestamp(int(message["internalDate"]) / 1000, tz=UTC)
    if date_header:
        parsed = parsedate_to_datetime(date_header)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return utcnow()


def _message(item: dict[str, Any]) -> ThreadMessage:
    payload = item.get("payload", {})
    headers = payload.get("headers", [])
    senders = getaddresses([_header(headers, "From") or ""])
    return ThreadMessage(
        gmail_id=str(item["id"]),
        thread_id=str(item["threadId"]),
        message_id=_header(headers, "Message-ID"),
        in_reply_to=_header(headers, "In-Reply-To"),
        sender=(senders[0][1] if senders else "").lower(),
        subject=_header(headers, "Subject"),
        at=_when(item, _header(headers, "Date")),
        body=_text(payload) or str(item.get("snippet", "")),
        sent_by_mailbox="SENT" in item.get("labelIds", []),
    )


def thread_of(mailer: GmailMailer, email_id: str) -> list[ThreadMessage]:
    """The messages of the thread a sent email belongs to, oldest first ([] when Gmail no longer has it).

    Raises:
        MailError: Gmail refused or could not be reached (TransientMailError for 429/5xx).
    """
    return sorted((_message(m) for m in mailer.thread_messages(email_id)), key=lambda m: m.at)
