"""Local outbox transport: `.eml` files instead of delivery, with the same at-most-once contract.

The sent message of a Message-ID is `folder/<key>.eml` (`key` = `message_key(message_id)`); each
draft is a file of its own, `folder/drafts/<key><nonce>.eml`. Sending hard-links the draft to the
sent name, which fails when that name exists, so of any number of drafts and concurrent
`send_draft` calls for one Message-ID exactly one is delivered; the draft is then renamed to
`<id>.sent` (still the same file), which is how a later call knows that this very draft went out.
Deleting a draft (fencing an attempt) unlinks it: a later `send_draft` of it finds it gone.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from contextlib import suppress
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from ..errors import MailError
from .base import AmbiguousMailError, DraftAlreadySent, DraftGone, DraftStatus, OutgoingEmail, SendReceipt
from .message import build_message, message_bytes

__all__ = ["OutboxMailer", "message_key"]

_KEY_LENGTH = 32
_NONCE_LENGTH = 16


def message_key(message_id: str) -> str:
    """The file-name-safe key of a Message-ID: the sent file is `<key>.eml`."""
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:_KEY_LENGTH]


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
        if len(draft_id) != _KEY_LENGTH + _NONCE_LENGTH or not all(c in "0123456789abcdef" for c in draft_id):
            raise MailError("mail.not_outbox_id", draft_id=draft_id)
        return self.drafts / f"{draft_id}.eml"

    def _sent_path(self, key: str) -> Path:
        return self.folder / f"{key}.eml"

    def _receipt(self, key: str) -> SendReceipt:
        with self._sent_path(key).open("rb") as handle:
            message_id = BytesParser(policy=policy.default).parse(handle, headersonly=True)["Message-ID"]
        return SendReceipt(transport=self.name, email_id=str(message_id), message_id=str(message_id))

    def create_draft(self, email: OutgoingEmail) -> str:
        """Write the message to a new `drafts/<id>.eml` (atomically) and return the id.

        Raises:
            DraftAlreadySent: this Message-ID was already sent from this outbox.
            InvalidHeaderError: the message cannot be built safely (see `build_message`).
        """
        data = message_bytes(build_message(email, now=self._now))
        key = message_key(email.message_id)
        if self._sent_path(key).exists():
            raise DraftAlreadySent("mail.outbox_sent", message_id=email.message_id,
                                   receipt=self._receipt(key))
        draft_id = key + secrets.token_hex(_NONCE_LENGTH // 2)
        self.drafts.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.drafts, prefix=".tmp-", suffix=".eml", delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, self._draft_path(draft_id))
        _fsync_dir(self.drafts)
        return draft_id

    def _sent_from(self, draft_id: str) -> bool:
        """True when the sent file of the draft's Message-ID is this draft's file (same inode)."""
        try:
            sent = os.stat(self._sent_path(draft_id[:_KEY_LENGTH]))
        except FileNotFoundError:
            return False
        for path in (self._draft_path(draft_id), self._draft_path(draft_id).with_suffix(".sent")):
            try:
                mine = os.stat(path)
            except FileNotFoundError:
                continue
            return (mine.st_dev, mine.st_ino) == (sent.st_dev, sent.st_ino)
        return False

    def send_draft(self, draft_id: str) -> SendReceipt:
        """Deliver the draft into the outbox; at most one message per Message-ID.

        Raises:
            DraftAlreadySent: this draft was sent before (by this or a concurrent call).
            DraftGone: no such draft (never created here, or deleted).
            AmbiguousMailError: another draft of the same Message-ID was sent; this one was not.
        """
        draft, key = self._draft_path(draft_id), draft_id[:_KEY_LENGTH]
        try:
            os.link(draft, self._sent_path(key))
        except (FileExistsError, FileNotFoundError) as err:
            if self._sent_from(draft_id):
                raise DraftAlreadySent("mail.outbox_draft_sent", draft_id=draft_id, receipt=self._receipt(key)) from None
            if isinstance(err, FileNotFoundError):
                raise DraftGone("mail.outbox_draft_gone", draft_id=draft_id) from None
            raise AmbiguousMailError("mail.outbox_other_sent", draft_id=draft_id) from None
        with suppress(FileNotFoundError):  # a fence deleted the draft after the link: it went out all the same
            os.replace(draft, draft.with_suffix(".sent"))
        _fsync_dir(self.folder)
        _fsync_dir(self.drafts)
        return self._receipt(key)

    def draft_status(self, draft_id: str, message_id: str) -> tuple[DraftStatus, SendReceipt | None]:
        """Answer from the files: sent (with receipt), still a draft, or missing."""
        receipt = self.find_sent(message_id)
        if receipt is not None:
            return "sent", receipt
        if self._draft_path(draft_id).exists():
            return "draft", None
        return "missing", None

    def find_sent(self, message_id: str) -> SendReceipt | None:
        """The receipt of the sent file of `message_id`, or None."""
        key = message_key(message_id)
        if not self._sent_path(key).exists():
            return None
        receipt = self._receipt(key)
        if receipt.message_id != message_id:
            raise MailError("mail.outbox_mismatch", key=key, held=receipt.message_id, wanted=message_id)
        return receipt

    def drafts_of(self, message_id: str) -> list[str]:
        """Ids of the draft files of `message_id`."""
        return sorted(path.stem for path in self.drafts.glob(f"{message_key(message_id)}*.eml"))

    def delete_draft(self, draft_id: str) -> bool:
        """Remove a draft file; False when it was already gone."""
        try:
            self._draft_path(draft_id).unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(self.drafts)
        return True
