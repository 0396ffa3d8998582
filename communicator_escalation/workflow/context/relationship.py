"""Relationship facts the tone and CC rules share: repeat escalations, renewal, seniority."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ...models import Contact, EscalationContext
from ..policy import TypingPolicy

__all__ = ["is_executive", "recent_escalations", "renewal_soon"]


def recent_escalations(ctx: EscalationContext, *, days: int, now: datetime) -> list[tuple[str, str, datetime]]:
    """Other escalations of the customer detected in the `days` before `now`: (id, title, detected_at), newest first."""
    since = now - timedelta(days=days)
    found: dict[str, tuple[str, str, datetime]] = {}
    for other in [*ctx.prior_escalations, *ctx.other_open_escalations]:
        if other.id != ctx.escalation.id and since <= other.detected_at <= now:
            found[other.id] = (other.id, other.title, other.detected_at)
    return sorted(found.values(), key=lambda item: item[2], reverse=True)


def renewal_soon(ctx: EscalationContext, *, days: int) -> bool:
    """True when the renewal is today or within `days`."""
    left = ctx.customer.days_to_renewal
    return left is not None and 0 <= left <= days


def is_executive(contact: Contact | None, *, typing: TypingPolicy) -> bool:
    """True for a contact with role 'executive' or an executive title word (CTO, VP, Head of, ...)."""
    if contact is None:
        return False
    if (contact.role or "").lower() == "executive":
        return True
    title = contact.title or ""
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", title, re.IGNORECASE) for word in typing.executive_titles)
