"""Choose the configured transport."""

from __future__ import annotations

from ..config import Settings
from .base import Mailer
from .outbox import OutboxMailer

__all__ = ["make_mailer"]


def make_mailer(settings: Settings) -> Mailer:
    """The local outbox under `settings.outbox_dir` (default), or Gmail when
    `ESCALATION_MAIL_TRANSPORT=gmail`.

    Raises:
        ConfigurationError: Gmail is chosen without usable credentials.
    """
    if settings.mail_transport == "gmail":
        from .gmail import GmailMailer, build_gmail_service  # the Google client loads only when used

        return GmailMailer(build_gmail_service(settings))
    return OutboxMailer(settings.outbox_dir)
