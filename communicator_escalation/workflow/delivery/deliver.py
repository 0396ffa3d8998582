"""Deliver one claimed response under its lease: create the provider draft once, send it, record it.

Each step starts by renewing the lease (`start_attempt`), which refuses once the attempt was taken
over; the provider draft is recorded only while the lease is current (otherwise it is deleted at
once); a resend first asks the provider by Message-ID (`ask_provider`). `TransientMailError` is
retried with capped exponential backoff and jitter; a possibly delivered request leaves `unknown`.
An attempt that loses its lease stops: it sends nothing more, and records a delivery it did make.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ...config import Settings
from ...errors import MailError
from ...mail.base import AmbiguousMailError, DraftAlreadySent, Mailer, OutgoingEmail, SendReceipt, TransientMailError
from ...rendering import phrases
from ...store import Store
from ...store.leases import Lease
from ...store.responses import load_response
from ...utc import utcnow
from ..policy import Policy
from ._attempts import LeaseLost, finish_attempt, record_draft, settle, start_attempt
from .fencing import ask_provider, record_delivery

__all__ = ["SYSTEM_ACTOR", "Delivered", "backoff_delay", "deliver"]

SYSTEM_ACTOR = "system:sender"
Delivered = Literal["sent", "already_sent", "already_sending", "failed", "unknown"]


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based).

    Capped exponential backoff with equal jitter (half fixed, half random), never less than the
    provider's `retry_after`.
    """
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def _after_fence(store: Store, lease: Lease) -> Delivered:
    """What a taken-over attempt reports: the response's state as the new owner left it."""
    with store.connection() as conn:
        status = load_response(conn, lease.response_id)["status"]
    return {"sent": "already_sent", "sending": "already_sending", "unknown": "unknown"}.get(status, "failed")  # type: ignore[return-value]


def _settle(store: Store, lease: Lease, status: Literal["failed", "unknown"], error: str,
            now: datetime | None) -> Delivered:
    settle(store, lease, status, error=error, actor=SYSTEM_ACTOR, now=utcnow(now))
    return status


def _sent(store: Store, lease: Lease, receipt: SendReceipt, *, policy: Policy, settings: Settings,
          now: datetime | None) -> Delivered:
    recorded = record_delivery(store, lease, receipt, actor=SYSTEM_ACTOR, policy=policy, settings=settings, now=now,
                               sent_at=utcnow(now))
    return "sent" if recorded else "already_sent"


def deliver(store: Store, *, lease: Lease, email: OutgoingEmail, mailer: Mailer, policy: Policy, settings: Settings,
            ask_first: bool, now: datetime | None, sleep: Callable[[float], None],
            rng: random.Random | None) -> Delivered:
    """Deliver `email` under `lease`; `ask_first` when an earlier attempt used the same Message-ID."""
    ttl = timedelta(minutes=settings.send_lease_minutes)
    try:
        if ask_first:
            try:
                receipt = ask_provider(store, lease, mailer=mailer, now=now, ttl=ttl)
            except MailError as err:
                return _settle(store, lease, "unknown", err.message, now)
            if receipt is not None:
                record_delivery(store, lease, receipt, actor=SYSTEM_ACTOR, policy=policy, settings=settings, now=now)
                return "already_sent"
        return _attempts(_Try(store=store, lease=lease, email=email, mailer=mailer, ttl=ttl, now=now),
                         policy=policy, settings=settings, sleep=sleep, rng=rng)
    except LeaseLost:
        return _after_fence(store, lease)


@dataclass
class _Try:
    """The provider side of one attempt: the draft it created and the step it is at."""

    store: Store
    lease: Lease
    email: OutgoingEmail
    mailer: Mailer
    ttl: timedelta
    now: datetime | None
    draft_id: str | None = None
    check_first: bool = False  # after a transient error at send: an earlier try may have delivered it
    step: str = "create_draft"

    def begin(self) -> int:
        """Renew the lease and open the attempt row of the next step."""
        self.step = "create_draft" if self.draft_id is None else ("draft_status" if self.check_first else "send_draft")
        return start_attempt(self.store, self.lease, step=self.step, transport=self.mailer.name,
                             now=utcnow(self.now), ttl=self.ttl)

    def call(self) -> SendReceipt:
        """Create the draft (once, recorded only under the current lease), check it if needed, send it."""
        if self.draft_id is None:
            draft_id = self.mailer.create_draft(self.email)
            if not record_draft(self.store, self.lease, draft_id, now=utcnow(self.now), ttl=self.ttl):
                self.mailer.delete_draft(draft_id)
                raise LeaseLost(self.lease.id)
            self.draft_id = draft_id
        elif self.check_first:
            state, receipt = self.mailer.draft_status(self.draft_id, self.email.message_id)
            if state == "sent" and receipt is not None:
                return receipt
            if state != "draft":
                raise AmbiguousMailError("delivery.provider_draft", draft_id=self.draft_id, state=state)
        self.check_first = False
        self.step = "send_draft"
        return self.mailer.send_draft(self.draft_id)

    def finish(self, attempt_id: int, outcome: str, *, error: MailError | None = None,
               delay: float | None = None) -> None:
        finish_attempt(self.store, attempt_id, step=self.step, outcome=outcome, error=error, delay=delay,
                       now=utcnow(self.now))


def _retry_delay(n: int, transient: TransientMailError, *, settings: Settings,
                 rng: random.Random | None) -> tuple[float | None, str]:
    """The wait before try n + 1, or None and why the attempt gives up."""
    retry_after = transient.retry_after
    if retry_after is not None and retry_after > settings.send_backoff_cap_seconds and n < settings.send_max_attempts:
        return None, phrases("delivery/reasons.j2").retry_too_late(retry_after)
    if n == settings.send_max_attempts:
        return None, phrases("delivery/reasons.j2").gave_up(n)
    return backoff_delay(n, base=settings.send_backoff_seconds, cap=settings.send_backoff_cap_seconds,
                         retry_after=retry_after, rng=rng), ""


def _attempts(t: _Try, *, policy: Policy, settings: Settings, sleep: Callable[[float], None],
              rng: random.Random | None) -> Delivered:
    for n in range(1, settings.send_max_attempts + 1):
        attempt_id = t.begin()
        try:
            receipt = t.call()
        except LeaseLost:
            t.finish(attempt_id, "fenced")
            raise
        except DraftAlreadySent as err:  # delivered by an earlier try: record it, send nothing
            t.finish(attempt_id, "sent", error=err)
            return _sent(t.store, t.lease, err.receipt, policy=policy, settings=settings, now=t.now)
        except AmbiguousMailError as err:
            if t.step != "create_draft":
                t.finish(attempt_id, "ambiguous", error=err)
                return _settle(t.store, t.lease, "unknown", err.message, t.now)
            transient = TransientMailError(err.reason, **err.facts)  # nothing can have been delivered: retry
        except TransientMailError as err:
            transient = err
        except MailError as err:
            t.finish(attempt_id, "error", error=err)
            return _settle(t.store, t.lease, "unknown" if t.step == "send_draft" else "failed", err.message, t.now)
        except BaseException as err:
            # A bug or an interrupt mid-call: after send_draft was called we cannot know.
            with suppress(LeaseLost):
                _settle(t.store, t.lease, "unknown" if t.step == "send_draft" else "failed",
                        f"{type(err).__name__}: {err}", t.now)
            raise
        else:
            t.finish(attempt_id, "sent")
            return _sent(t.store, t.lease, receipt, policy=policy, settings=settings, now=t.now)
        t.check_first = t.check_first or t.step == "send_draft"
        delay, reason = _retry_delay(n, transient, settings=settings, rng=rng)
        t.finish(attempt_id, "transient", error=transient, delay=delay)
        if delay is None:
            return _settle(t.store, t.lease, "failed", f"{transient.message} ({reason})", t.now)
        sleep(delay)
    raise AssertionError("unreachable: the last attempt always settles")
