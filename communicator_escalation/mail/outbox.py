"""Local outbox transport: `.eml` files instead of delivery, with the same at-most-once contract.

A draft is `folder/drafts/<id>.eml`; sending renames it atomically to `folder/<id>.eml`, so of
any number of concurrent `send_draft` calls exactly one moves the file and the others find it
sent. The draft id is derived from the Message-ID, so re-creating the draft of a message that was
already sent is refused instead of producing a second copy.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from ..errors import MailError
from .base import DraftAlreadySent, DraftGone, DraftStatus, OutgoingEmail, SendReceipt
from .message import build_message, message_bytes

__all__ = ["OutboxMailer", "draft_id_for"]


def draft_id_for(message_id: str) -> str:
    """The outbox draft id of a Message-ID: stable, file-name safe."""
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class OutboxMailer:
    """Writes the exact RFC 5322 bytes of each message under `folder` (default transport)."""

    name = "outbox"

    def __init__(self, folder: Path, *, now: datetime | None = None) -> None:
        """Open (lazily create) an outbox.

        Args:
            folder: Outbox folder; sent messages land here, drafts in `drafts/` below it.
            now: Fixed Date header for every message (tests); default: the time of `create_draft`.
        """
        self.folder = Path(folder)
        self.drafts = self.folder / "drafts"
        self._now = now

    def _draft_path(self, draft_id: str) -> Path:
        if len(draft_id) != 32 or not all(c in "0123456789abcdef" for c in draft_id):
            raise MailError(f"{draft_id!r} is not an outbox draft id")
        return self.drafts / f"{draft_id}.eml"

    def _sent_path(self, draft_id: str) -> Path:
        return self.folder / f"{draft_id}.eml"

    def _receipt(self, draft_id: str) -> SendReceipt:
        with self._sent_path(draft_id).open("rb") as handle:
            message_id = BytesParser(policy=policy.default).parse(handle, headersonly=True)["Message-ID"]
        return SendReceipt(transport=self.name, email_id=str(message_id), message_id=str(message_id))

    def create_draft(self, email: OutgoingEmail) -> str:
        """Write the message to `drafts/<id>.eml` (atomically; replaces an unsent draft of the same
        Message-ID) and return the id.

        Raises:
            DraftAlreadySent: this Message-ID was already sent from this outbox.
            InvalidHeaderError: the message cannot be built safely (see `build_message`).
        """
        data = message_bytes(build_message(email, now=self._now))
        draft_id = draft_id_for(email.message_id)
        if self._sent_path(draft_id).exists():
            raise DraftAlreadySent(
                f"message {email.message_id} was already sent from the outbox", receipt=self._receipt(draft_id)
            )
        self.drafts.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.drafts, prefix=".tmp-", suffix=".eml", delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, self._draft_path(draft_id))
        _fsync_dir(self.drafts)
        return draft_id

    def send_draft(self, draft_id: str) -> SendReceipt:
        """Move the draft into the outbox; at most once per draft.

        Raises:
            DraftAlreadySent: the draft was sent before (by this or a concurrent call).
            DraftGone: no such draft was ever created here (or its file was deleted).
        """
        draft = self._draft_path(draft_id)
        try:
            os.replace(draft, self._sent_path(draft_id))
        except FileNotFoundError:
            if self._sent_path(draft_id).exists():
                raise DraftAlreadySent(
                    f"draft {draft_id} was already sent", receipt=self._receipt(draft_id)
                ) from None
            raise DraftGone(f"outbox draft {draft_id} does not exist") from None
        _fsync_dir(self.folder)
        return self._receipt(draft_id)

    def draft_status(self, draft_id: str, message_id: str) -> tuple[DraftStatus, SendReceipt | None]:
        """Answer from the files: sent (with receipt), still a draft, or missing."""
        if self._sent_path(draft_id).exists():
            receipt = self._receipt(draft_id)
            if receipt.message_id != message_id:
                raise MailError(f"outbox file {draft_id}.eml holds {receipt.message_id}, not {message_id}")
            return "sent", receipt
        if self._draft_path(draft_id).exists():
            return "draft", None
        return "missing", None
