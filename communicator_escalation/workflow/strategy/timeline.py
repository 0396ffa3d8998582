"""The timeline the email may promise: milestones and the next update, never after resolution_due.

Milestones are placed at the policy's fractions of the time left from `now` to `resolution_due`
(business time on a business-hours clock), rounded down to the quarter hour so the promise is
never later than computed. On an around-the-clock clock a milestone falling outside the
customer's working hours moves earlier to the last closing time before it (the customer reads
"today by 5:00 PM", not "tomorrow by 5:45 AM") when that is still after the previous step.
A workaround already identified makes the interim milestone
"in place"; a deployed fix makes the permanent fix "done". When the resolution target has
already passed, planned milestones get no date ("[confirm: date]") and the CSM is told.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ...models import EscalationContext, EscalationType, Milestone, SlaClock
from ..policy import MilestoneStep, Policy
from ._phrases import moment_text, phrase
from .actions import latest_event
from .sla import BusinessCalendar, add_business_time, business_time_between, due_after

__all__ = ["build_timeline", "next_update"]

# Milestone key -> ticket event that already delivers it, and the status it then has.
_DELIVERED_BY = {"interim_mitigation": ("workaround_identified", "in_place"), "permanent_fix": ("fix_deployed", "done")}


def _floor_quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def _promise(point: datetime, *, now: datetime) -> datetime:
    rounded = _floor_quarter(point)
    return rounded if rounded > now else point


def _daytime(point: datetime, *, previous: datetime, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    local, hours = point.astimezone(tz), calendar.hours
    opens = datetime.combine(local.date(), hours.start, tzinfo=tz)
    closes = datetime.combine(local.date(), hours.end, tzinfo=tz)
    if opens <= local <= closes:
        return point
    day_before = local.date() - timedelta(days=1)
    closing = closes if local > closes else datetime.combine(day_before, hours.end, tzinfo=tz)
    return closing.astimezone(UTC) if closing > previous else point


def _point(
    step: MilestoneStep, *, clock: SlaClock, calendar: BusinessCalendar, tz: ZoneInfo, previous: datetime, now: datetime
) -> datetime:
    if step.at >= 1:
        return clock.resolution_due
    if clock.clock == "business_hours":
        window = business_time_between(now, clock.resolution_due, calendar=calendar)
        return _promise(add_business_time(now, window * step.at, calendar=calendar), now=now)
    point = _promise(now + (clock.resolution_due - now) * step.at, now=now)
    return _daytime(point, previous=previous, calendar=calendar, tz=tz)


def _mentions_invoice(texts: list[str]) -> bool:
    return any("invoice" in text.lower() for text in texts)


def build_timeline(
    ctx: EscalationContext,
    *,
    escalation_type: EscalationType,
    clock: SlaClock,
    calendar: BusinessCalendar,
    policy: Policy,
    tz: ZoneInfo,
    texts: list[str],
    now: datetime,
) -> list[Milestone]:
    """Milestones for `escalation_type`, in order, each due no later than `clock.resolution_due`."""
    open_window = clock.resolution_due > now
    milestones: list[Milestone] = []
    previous = now
    for step in policy.timeline.get(escalation_type, []):
        event_kind, delivered_status = _DELIVERED_BY.get(step.key, (None, None))
        event = latest_event(ctx.ticket, event_kind, now=now) if event_kind else None
        if event is not None and delivered_status is not None:
            status, due = delivered_status, None
            due_text = moment_text(event.at, now=now, tz=tz, kind=delivered_status)
        else:
            status = "planned"
            due = None
            if open_window:
                due = _point(step, clock=clock, calendar=calendar, tz=tz, previous=previous, now=now)
            due_text = moment_text(due, now=now, tz=tz)
            previous = due or previous
        label = phrase("milestone", key=step.key, status=status, mentions_invoice=_mentions_invoice(texts))
        milestones.append(Milestone(milestone=label, due=due, due_text=due_text, status=status))
    return milestones


def next_update(
    *, clock: SlaClock, calendar: BusinessCalendar, policy: Policy, tz: ZoneInfo, now: datetime
) -> Milestone:
    """The next update commitment: one cadence from `now`, rounded down to the quarter hour.

    On a business-hours clock an update falling outside business hours moves to the next opening.
    It is never later than `resolution_due` while that is still ahead.
    """
    row = policy.sla.row(clock.severity)
    due = _promise(due_after(now, row.update_every, row=row, calendar=calendar), now=now)
    if now < clock.resolution_due < due:
        due = clock.resolution_due
    label = phrase("milestone", key="next_update", status="planned", mentions_invoice=False)
    return Milestone(milestone=label, due=due, due_text=moment_text(due, now=now, tz=tz))
