"""Choose the configured transport."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from .base import Mailer
from .outbox import OutboxMailer

__all__ = ["Transport", "make_mailer", "make_transport"]


@dataclass(frozen=True)
class Transport:
    """Where responses go, and where internal approval notifications are emailed (None: recorded only)."""

    mailer: Mailer
    notifier: Mailer | None = None


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


def make_transport(settings: Settings) -> Transport:
    """The configured mailer; approval notifications are emailed through a configured provider, while
    the local outbox only records them."""
    mailer = make_mailer(settings)
    return Transport(mailer=mailer, notifier=mailer if settings.mail_transport != "outbox" else None)
