"""What a transport is: the Mailer protocol, the message it takes and the errors it raises.

Sending is two-phase so the response state machine can be exactly-once: `create_draft` stores the
message with the provider (nothing is delivered), `send_draft` delivers it, and `draft_status`
tells, after a crash or timeout, whether a draft was delivered (a sent draft is gone). Fencing a
send attempt asks the provider by Message-ID: `drafts_of` and `delete_draft` remove every unsent
draft of the message (so a suspended attempt can no longer deliver it), then `find_sent` says
whether it was delivered.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ..errors import MailError


class Address(BaseModel):
    """A mailbox: display name (any Unicode) and address."""

    name: str | None = Field(default=None, description="Display name.")
    email: str = Field(description="Address, e.g. michael.torres@dataflow.com.")


class OutgoingEmail(BaseModel):
    """Exactly what will be sent."""

    sender: Address = Field(description="From.")
    to: list[Address] = Field(description="To recipients.")
    cc: list[Address] = Field(default_factory=list, description="CC recipients.")
    subject: str = Field(description="Subject.")
    body: str = Field(description="Plain-text body.")
    message_id: str = Field(description="Our RFC 5322 Message-ID, with angle brackets.")
    in_reply_to: str | None = Field(default=None, description="Message-ID replied to.")
    references: list[str] = Field(default_factory=list, description="Message-IDs of the thread.")
    thread_id: str | None = Field(default=None, description="Provider thread id to send on.")


class SendReceipt(BaseModel):
    """What the provider says after delivery."""

    transport: str = Field(description="outbox or gmail.")
    email_id: str = Field(description="Provider id of the sent message (outbox: the Message-ID).")
    message_id: str = Field(description="RFC 5322 Message-ID of the sent message.")
    thread_id: str | None = Field(default=None, description="Provider thread id.")


DraftStatus = Literal["draft", "sent", "missing"]


@runtime_checkable
class Mailer(Protocol):
    """A transport. Implementations never retry a send on their own."""

    name: str

    def create_draft(self, email: OutgoingEmail) -> str:
        """Store the message with the provider without delivering it; return the draft id."""
        ...

    def send_draft(self, draft_id: str) -> SendReceipt:
        """Deliver a stored draft exactly as stored."""
        ...

    def draft_status(self, draft_id: str, message_id: str) -> tuple[DraftStatus, SendReceipt | None]:
        """After an ambiguous outcome: is the draft still pending, sent (with its receipt) or missing?"""
        ...

    def find_sent(self, message_id: str) -> SendReceipt | None:
        """The receipt of the delivered message with this Message-ID, or None when none was delivered."""
        ...

    def drafts_of(self, message_id: str) -> list[str]:
        """Ids of the unsent drafts carrying this Message-ID."""
        ...

    def delete_draft(self, draft_id: str) -> bool:
        """Delete an unsent draft so it can never be sent; False when it no longer exists."""
        ...


class TransientMailError(MailError):
    """The provider refused for now (429, 5xx); safe to retry after `retry_after` seconds."""

    code = "mail_transient"

    def __init__(self, reason: str, /, *, retry_after: float | None = None, status: int | None = None,
                 **facts: Any) -> None:
        super().__init__(reason, **facts)
        self.retry_after = retry_after
        self.status = status


class AmbiguousMailError(MailError):
    """The request may have reached the provider (timeout, dropped connection): do not resend blindly."""

    code = "mail_outcome_unknown"


class DraftAlreadySent(MailError):
    """The draft was certainly delivered before; `receipt` says how. Record it, send nothing."""

    code = "mail_already_sent"

    def __init__(self, reason: str, /, *, receipt: SendReceipt, **facts: Any) -> None:
        super().__init__(reason, **facts)
        self.receipt = receipt


class DraftGone(AmbiguousMailError):
    """The draft no longer exists: it was sent or deleted. Ask `draft_status` before anything else."""

    code = "mail_draft_gone"
