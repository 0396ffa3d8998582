"""One follow-up round, run by `escalation sync` and periodically by the worker.

1. Follow through on sent responses not yet handled (a send settled by reconcile, a crash) and
   publish briefs still pending.
2. Notice the threads whose next update is due; the worker also drafts each one that has no
   update waiting, so the CSM opens it at once (like the first response's pre-draft).
3. With Gmail configured, read the customers' replies back from the escalation threads.
4. Record the outcomes of first responses that are not final yet (reply tone by the LLM when one
   is configured, else the offline lexicon).

A failure of one step is reported and the others still run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import psycopg
from pydantic import BaseModel, Field

from ...auth.actor import WORKER
from ...config import Settings
from ...errors import EscalationError
from ...insights.outcomes import record_outcomes
from ...insights.tone import ToneReader, tone_reader
from ...rendering import phrases
from ...store import Store
from ...utc import utcnow
from ..policy import Policy
from .clock import DueUpdate, list_due_updates
from .hook import follow_through_pending
from .updates import draft_update

__all__ = ["FOLLOW_UP_SECONDS", "FollowUpReport", "FollowUpSchedule", "follow_up"]

FOLLOW_UP_SECONDS = 300.0

logger = logging.getLogger(__name__)


class FollowUpReport(BaseModel):
    """What a follow-up round did."""

    followed_through: list[str] = Field(default_factory=list, description="Sent responses handled now.")
    due: list[DueUpdate] = Field(default_factory=list, description="Threads owing an update (or closing email).")
    drafted: list[str] = Field(default_factory=list, description="Updates drafted now (worker).")
    replies: int = Field(default=0, description="Customer replies read back from Gmail now.")
    outcomes: int = Field(default=0, description="Outcomes recorded or refreshed.")
    errors: list[str] = Field(default_factory=list, description="Steps that failed, with why.")


def _replies(store: Store, settings: Settings) -> int:
    if settings.mail_transport != "gmail":
        return 0
    from ...insights.replies import sync_gmail_replies  # the Google client loads only when used
    from ...mail.gmail import GmailMailer, build_gmail_service

    return sync_gmail_replies(store, mailer=GmailMailer(build_gmail_service(settings)))


def follow_up(store: Store, *, settings: Settings, policy: Policy, now: datetime | None = None,
              draft_due: bool = False, tone: ToneReader | None = None) -> FollowUpReport:
    """Run one round (see module docstring); never raises for an expected failure.

    Args:
        store: The database.
        settings: Mail transport (Gmail replies), briefs, LLM for the reply tone.
        policy: SLA cadence and the learning window.
        now: The moment to judge by (default: now).
        draft_due: Draft an update for each due thread that has none waiting (the worker does).
        tone: How to read a reply's tone (default: per the settings).
    """
    moment = utcnow(now)
    report = FollowUpReport()

    def handled() -> None:
        report.followed_through = [f.response_id for f in
                                   follow_through_pending(store, policy=policy, settings=settings, now=moment)]

    def updates() -> None:
        report.due = list_due_updates(store, actor=WORKER, now=moment)
        for item in report.due if draft_due else []:
            if item.draft_id is None:
                opened = draft_update(store, actor=WORKER, response_id=item.response_id, policy=policy, now=moment)
                item.draft_id = opened.draft.response_id
                report.drafted.append(str(opened.draft.response_id))

    def replies() -> None:
        report.replies = _replies(store, settings)

    def outcomes() -> None:
        report.outcomes = record_outcomes(store, now=moment, tone=tone or tone_reader(settings), learning=policy.learning)

    for name, step in (("follow-through", handled), ("updates", updates), ("replies", replies), ("outcomes", outcomes)):
        try:
            step()
        except (EscalationError, psycopg.Error) as err:
            message = err.message if isinstance(err, EscalationError) else phrases("delivery/reasons.j2").database_error(err)
            logger.error("follow-up %s failed: %s", name, message)
            report.errors.append(f"{name}: {message}")
    return report


class FollowUpSchedule:
    """The worker's follow-up rounds: the first when first asked, then one every `every` seconds."""

    def __init__(self, store: Store, *, settings: Settings, policy: Policy, every: float = FOLLOW_UP_SECONDS,
                 on_round: Callable[[FollowUpReport], None]) -> None:
        self._store, self._settings, self._policy, self._every = store, settings, policy, every
        self._on_round = on_round
        self._next = time.monotonic()

    def run_if_due(self) -> None:
        """Run a round (drafting the updates that are due) when one is due, and hand its report on."""
        if time.monotonic() < self._next:
            return
        self._on_round(follow_up(self._store, settings=self._settings, policy=self._policy, draft_due=True))
        self._next = time.monotonic() + self._every
