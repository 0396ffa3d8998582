"""Step 2: response strategy: type, template, tone, SLA clock, timeline, action items, review notes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ...errors import ConfigurationError
from ...models import EscalationContext, ReviewNote, Severity, SlaClock, Strategy, Tone
from ..context.relationship import is_executive, recent_escalations, renewal_soon
from ..policy import Policy
from ._phrases import moment_text, phrase, review_note
from .actions import build_action_items
from .ccs import missing_cc_notes
from .classify import escalation_texts, infer_escalation_type
from .history import tone_advice
from .sla import BusinessCalendar, business_calendar, sla_clock, zone
from .timeline import build_timeline, next_update

__all__ = ["choose_tone", "pick_strategy"]


def choose_tone(ctx: EscalationContext, policy: Policy, *, severity: Severity, now: datetime) -> Tone:
    """Tone from the reporter's seniority, the severity and the relationship history.

    executive (an executive recipient: shorter, ownership-first) > urgent (critical, high) >
    formal (repeat escalation, declining health or renewal within the window) > warm; then the
    account's history may change it (strategy/history.py), with its reasons.
    """
    rules = policy.relationship
    executive = is_executive(ctx.reporter, typing=policy.typing)
    repeat = bool(recent_escalations(ctx, days=rules.repeat_window_days, now=now))
    declining = ctx.health.direction == "declining"
    renewal = renewal_soon(ctx, days=rules.renewal_window_days)
    reasons = []
    if executive and ctx.reporter is not None:
        reasons.append(phrase("tone_reason", reason="executive", person=ctx.reporter.name, title=ctx.reporter.title))
    if severity in ("critical", "high"):
        reasons.append(phrase("tone_reason", reason="severity", severity=severity))
    if repeat:
        reasons.append(phrase("tone_reason", reason="repeat"))
    if declining:
        reasons.append(phrase("tone_reason", reason="declining", score=ctx.health.score, change=ctx.health.change))
    if renewal:
        reasons.append(phrase("tone_reason", reason="renewal", days=ctx.customer.days_to_renewal))
    if executive:
        name = "executive"
    elif severity in ("critical", "high"):
        name = "urgent"
    else:
        name = "formal" if repeat or declining or renewal else "warm"
    name, learned = tone_advice(ctx, tone=name, executive=executive)
    if not reasons and name == "warm":
        reasons.append(phrase("tone_reason", reason="calm", severity=severity))
    reasons += learned
    return Tone(
        name=name,
        executive_recipient=executive,
        repeat_escalation=repeat,
        elevated_priority=declining or renewal,
        reasons=reasons,
    )


def _clock(ctx: EscalationContext, policy: Policy, *, now: datetime
           ) -> tuple[ZoneInfo, BusinessCalendar, SlaClock, list[ReviewNote]]:
    """The customer's zone, business calendar and SLA clock, with notes on what had to be assumed."""
    notes: list[ReviewNote] = []
    timezone = ctx.customer.timezone
    try:
        tz = zone(timezone)
    except ConfigurationError:
        notes.append(review_note("unknown_timezone", timezone=timezone))
        timezone, tz = "UTC", zone("UTC")
    calendar = business_calendar(timezone=timezone, country=ctx.customer.country, policy=policy)
    clock = sla_clock(severity=ctx.escalation.severity, started_at=ctx.escalation.detected_at, timezone=timezone,
                      country=ctx.customer.country, policy=policy, now=now)
    if clock.clock == "business_hours" and calendar.country is None and policy.business_hours.observe_public_holidays:
        notes.append(review_note("no_holidays", timezone=timezone))
    return tz, calendar, clock, notes


def _urgency_notes(sent_at: datetime | None, clock: SlaClock, *, tz: ZoneInfo, now: datetime) -> list[ReviewNote]:
    """The note on where the first response stands: already sent, past due or due soon."""
    if sent_at is not None:
        return [review_note("already_answered", when=moment_text(sent_at, now=now, tz=tz, kind="at"))]
    if clock.urgency == "breached":
        due = moment_text(clock.first_response_due, now=now, tz=tz, kind="at")
        return [review_note("breached", due=due, minutes=-clock.minutes_to_first_response_due)]
    if clock.urgency == "due_soon":
        due = moment_text(clock.first_response_due, now=now, tz=tz)
        return [review_note("due_soon", due=due, minutes=clock.minutes_to_first_response_due)]
    return []


def pick_strategy(ctx: EscalationContext, policy: Policy, *, now: datetime | None = None) -> Strategy:
    """Decide how to answer the escalation in `ctx` (PRD Step 2).

    Args:
        ctx: Step 1's context.
        policy: SLA, business hours, timeline plan and thresholds (see `load_policy`).
        now: The moment to decide at; defaults to `ctx.gathered_at`.

    Returns:
        The strategy; `review_notes` lists assumptions, placeholders to fill and missing CC roles.
    """
    current = now or ctx.gathered_at
    escalation = ctx.escalation
    tz, calendar, clock, notes = _clock(ctx, policy, now=current)
    texts = escalation_texts(ctx)
    decision = infer_escalation_type(
        texts=texts,
        given=escalation.escalation_type,
        default="technical" if ctx.ticket else "service",
        typing=policy.typing,
    )
    if decision.inferred:
        note = "type_inferred" if decision.evidence else "type_defaulted"
        notes.append(review_note(note, type=decision.type, evidence=decision.evidence))

    notes += _urgency_notes(escalation.response_sent_at, clock, tz=tz, now=current)
    tone = choose_tone(ctx, policy, severity=escalation.severity, now=current)
    for _id, title, detected in recent_escalations(ctx, days=policy.relationship.repeat_window_days, now=current)[:1]:
        when = moment_text(detected, now=current, tz=tz, kind="at")
        notes.append(review_note("repeat", title=title, when=when))

    timeline, left_out = build_timeline(
        ctx,
        escalation_type=decision.type,
        clock=clock,
        calendar=calendar,
        policy=policy,
        tz=tz,
        texts=texts,
        now=current,
    )
    notes += [review_note("not_recorded", key=key) for key in left_out]
    if clock.resolution_due <= current and any(m.status == "planned" and not m.recorded for m in timeline):
        due = moment_text(clock.resolution_due, now=current, tz=tz, kind="at")
        notes.append(review_note("resolution_passed", due=due))
    actions, action_notes = build_action_items(ctx, escalation_type=decision.type, tz=tz, now=current,
                                               policy=policy.email)
    strategy = Strategy(
        escalation_type=decision,
        template=decision.type,
        tone=tone,
        sla=clock,
        timeline=timeline,
        next_update=next_update(clock=clock, calendar=calendar, policy=policy, tz=tz, now=current),
        action_items=actions,
        review_notes=notes + action_notes,
    )
    strategy.review_notes += missing_cc_notes(ctx, strategy, policy=policy)
    return strategy
