"""Personalization from the account's history: what de-escalated this customer before.

Rules over `ctx.history` (the customer's earlier escalations, newest first, with how they were
answered and ended), each stating its reason for the CSM:

- **Sponsor late**: the last `RECENT` resolved escalations were each resolved only after the
  executive sponsor joined the thread (on CC of an update, not of the first response): the tone
  becomes executive and the sponsor is suggested on CC from the start.
- **Sponsor early**: the last `RECENT` resolved escalations had the sponsor on CC from the first
  response and de-escalated: the sponsor is suggested again.
- **Tone**: the chosen tone failed to de-escalate this customer before and never worked, while
  another tone worked at least `RECENT` times and never failed: that tone is used instead (an
  executive recipient keeps the executive tone).
- **Contact**: the reporter raised earlier escalations: said, so the email can acknowledge it.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from ...models import EscalationContext, PastEscalation
from ._phrases import phrase

__all__ = ["RECENT", "SponsorAdvice", "sponsor_advice", "tone_advice"]

RECENT = 2
SponsorAdvice = Literal["late", "early"]
ToneName = Literal["executive", "urgent", "formal", "warm"]


def _recent_resolved(ctx: EscalationContext) -> list[PastEscalation]:
    return [p for p in ctx.history if p.status == "resolved"][:RECENT]


def sponsor_advice(ctx: EscalationContext) -> SponsorAdvice | None:
    """Whether history says to bring in the executive sponsor, and why (None: it says nothing)."""
    if ctx.team.executive_sponsor is None:
        return None
    recent = _recent_resolved(ctx)
    if len(recent) < RECENT:
        return None
    if all(p.sponsor_joined_at is not None and not p.sponsor_on_first_response
           and (p.resolved_at is None or p.resolved_at >= p.sponsor_joined_at) for p in recent):
        return "late"
    if all(p.sponsor_on_first_response and p.de_escalated for p in recent):
        return "early"
    return None


def _better_tone(ctx: EscalationContext, tone: str) -> str | None:
    judged = [p for p in ctx.history if p.tone and p.de_escalated is not None]
    worked = Counter(p.tone for p in judged if p.de_escalated)
    failed = Counter(p.tone for p in judged if not p.de_escalated)
    if not failed[tone] or worked[tone]:
        return None
    candidates = [t for t, n in worked.most_common() if n >= RECENT and not failed[t] and t != tone]
    return candidates[0] if candidates else None


def tone_advice(ctx: EscalationContext, *, tone: ToneName, executive: bool) -> tuple[ToneName, list[str]]:
    """The tone after the history rules, and the reasons they add (empty when history says nothing)."""
    reasons = []
    sponsor = ctx.team.executive_sponsor
    advice = sponsor_advice(ctx)
    if advice == "late" and sponsor is not None:
        reasons.append(phrase("history_reason", reason="sponsor_late", count=RECENT, sponsor=sponsor.name))
        tone = "executive"
    elif advice == "early" and sponsor is not None:
        reasons.append(phrase("history_reason", reason="sponsor_early", count=RECENT, sponsor=sponsor.name))
    better = None if executive or tone == "executive" else _better_tone(ctx, tone)
    if better is not None:
        judged = [p for p in ctx.history if p.tone in (tone, better) and p.de_escalated is not None]
        reasons.append(phrase("history_reason", reason="tone", tone=better, previous=tone,
                              worked=sum(p.tone == better for p in judged), failed=sum(p.tone == tone for p in judged)))
        tone = better  # type: ignore[assignment]
    reporter = ctx.reporter
    raised = [p for p in ctx.history if reporter is not None and p.reported_by_contact_id == reporter.id]
    if reporter is not None and raised:
        reasons.append(phrase("history_reason", reason="contact", person=reporter.name, count=len(raised),
                              ended=sum(p.status == "resolved" for p in raised)))
    return tone, reasons
