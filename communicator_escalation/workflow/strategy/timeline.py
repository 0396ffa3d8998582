"""The timeline the email may promise: milestones and the next update, at times a person keeps.

Milestones are placed at the policy's fractions of the time left from `now` to `resolution_due`
(business time on a business-hours clock), rounded down to the quarter hour. Then each is made
human (`EmailPolicy`): one due within `relative_within_hours` is said relatively ("within the next
2 hours", no clock time); a later one lands in the customer's promise hours (09:00-18:00 local,
open days only, public holidays of the customer's country skipped): moved earlier to the last
promise-hours moment before it when that is still after the previous step, else later to the next
opening when that is still by `resolution_due`, else said relatively. So no clock time between
21:00 and 07:00 is ever promised, steps are in order, none is in the past or after `resolution_due`.

Ticket events decide what is already delivered, with the verb the event earns: a workaround that was
identified is "identified" (not "in place"); a deployed fix is "deployed" and drops the pending
interim step. Delivered steps come first, in the order they happened. When the resolution target
has passed, planned milestones get no date ("[confirm: date]") and the CSM is told.

A fix or a workaround is not the CSM's to date: such a step (`dated_by = "record"`) takes the date
staff recorded on the ticket (a `fix_scheduled` / `workaround_scheduled` event's `due`), else it is
left out (an optional one: no workaround is promised) or holds "[confirm: permanent fix date]",
which blocks the send until the CSM fills it. A recorded date outside promise hours is said as the
next promise-hours moment after it (later than recorded, never earlier). Planned steps are spaced at least the policy's
`min_step_gap_hours` of promise-hours time apart (a recovery plan and its checkpoint are not
promised for 9:00 and 9:30).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ...models import EscalationContext, EscalationType, Milestone, SlaClock, TicketEvent
from ..policy import BusinessHours, MilestoneStep, Policy
from ._phrases import moment_text, phrase
from .actions import latest_event
from .sla import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    due_after,
    last_business_moment,
    next_business_moment,
)

__all__ = ["build_timeline", "next_update", "promise_calendar", "restated_due_text"]

# Milestone key -> ticket event that delivers it, and the status it then has.
_DELIVERED_BY = {"interim_mitigation": ("workaround_identified", "identified"), "permanent_fix": ("fix_deployed", "done")}
# Milestone key -> ticket event whose `due` is the date staff committed to for it.
_SCHEDULED_BY = {"interim_mitigation": "workaround_scheduled", "permanent_fix": "fix_scheduled"}


def promise_calendar(calendar: BusinessCalendar, policy: Policy) -> BusinessCalendar:
    """The customer's calendar with the email policy's promise hours (same open days and holidays)."""
    hours = BusinessHours(start=policy.email.promise_start, end=policy.email.promise_end,
                          weekdays=calendar.hours.weekdays, observe_public_holidays=calendar.country is not None)
    return calendar.model_copy(update={"hours": hours})


def _floor_quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def _promise(point: datetime, *, now: datetime) -> datetime:
    rounded = _floor_quarter(point)
    return rounded if rounded > now else point


def _raw_point(step: MilestoneStep, *, clock: SlaClock, calendar: BusinessCalendar, now: datetime) -> datetime:
    if step.at >= 1:
        return clock.resolution_due
    if clock.clock == "business_hours":
        window = business_time_between(now, clock.resolution_due, calendar=calendar)
        return _promise(add_business_time(now, window * step.at, calendar=calendar), now=now)
    return _promise(now + (clock.resolution_due - now) * step.at, now=now)


def _relative_text(due: datetime, *, now: datetime) -> str:
    minutes = max(1, math.floor((due - now) / timedelta(minutes=1)))
    if minutes < 60:
        return phrase("due_text", kind="within", count=minutes, unit="minute")
    return phrase("due_text", kind="within", count=math.ceil(minutes / 60), unit="hour")


def _humane(point: datetime, *, previous: datetime, now: datetime, limit: datetime, promise: BusinessCalendar,
            near: timedelta) -> tuple[datetime, bool]:
    """(when to promise it, whether to say it relatively) for a step computed for `point`."""
    if point - now <= near:
        return point, True
    earlier = last_business_moment(point, calendar=promise)
    if earlier is not None:
        earlier = _floor_quarter(earlier)
        if earlier > previous and earlier > now:
            return earlier, False
    later = next_business_moment(point, calendar=promise)
    if previous <= later <= limit:
        return later, False
    return max(point, previous), True


def _planned(due: datetime | None, relative: bool, *, now: datetime, tz: ZoneInfo) -> str:
    if due is not None and relative:
        return _relative_text(due, now=now)
    return moment_text(due, now=now, tz=tz)


def restated_due_text(due: datetime, *, now: datetime, calendar: BusinessCalendar, policy: Policy, tz: ZoneInfo) -> str:
    """A promised moment said again later (a status update restating the plan), by the same rules:
    relatively when it is near or outside the customer's promise hours, else by the clock."""
    near = timedelta(hours=policy.email.relative_within_hours)
    in_hours = last_business_moment(due, calendar=promise_calendar(calendar, policy)) == due
    return _planned(due, due - now <= near or not in_hours, now=now, tz=tz)


def _recorded(ctx: EscalationContext, step: MilestoneStep, *, now: datetime) -> TicketEvent | None:
    """The latest ticket event that records a date for `step` (staff scheduled it), if any."""
    kind = _SCHEDULED_BY.get(step.key)
    if ctx.ticket is None or kind is None:
        return None
    events = [e for e in ctx.ticket.events if e.kind == kind and e.due is not None and e.at <= now]
    return max(events, key=lambda e: e.at, default=None)


def _recorded_milestone(ctx: EscalationContext, step: MilestoneStep, *, label: str, promise: BusinessCalendar,
                        tz: ZoneInfo, now: datetime) -> Milestone | None:
    """A step dated by a record: at the recorded date (the next promise-hours moment from it, never earlier),
    else a `[confirm: ...]` placeholder, or None (left out) when the step is optional."""
    record = _recorded(ctx, step, now=now)
    if record is None and step.optional:
        return None
    due = record.due if record is not None and record.due and record.due > now else None
    due = next_business_moment(due, calendar=promise) if due else None
    text = moment_text(due, now=now, tz=tz) if due else phrase("due_text", kind="unknown", what=label)
    return Milestone(key=step.key, milestone=label, due=due, due_text=text, recorded=due is not None)


def _gap_floor(previous: datetime | None, *, gap: timedelta, promise: BusinessCalendar, limit: datetime) -> datetime:
    """The earliest a step may be promised after the previous planned one: `gap` of promise-hours time later."""
    if previous is None:
        return datetime.min.replace(tzinfo=UTC)
    return min(add_business_time(previous, gap, calendar=promise), max(limit, previous))


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
) -> tuple[list[Milestone], list[str]]:
    """(delivered milestones in the order they happened, then planned ones in order; keys left out for want of a record).

    A step dated by a record takes the date staff recorded on the ticket; without one it is left out
    when optional (nothing is promised) or holds a `[confirm: ...]` placeholder for the CSM. Steps dated
    by the SLA are at least `min_step_gap_hours` of promise-hours time apart.
    """
    open_window = clock.resolution_due > now
    promise = promise_calendar(calendar, policy)
    near = timedelta(hours=policy.email.relative_within_hours)
    gap = timedelta(hours=policy.email.min_step_gap_hours)
    fixed = latest_event(ctx.ticket, "fix_deployed", now=now)
    invoice = any("invoice" in text.lower() for text in texts)
    delivered: list[tuple[datetime, Milestone]] = []
    planned: list[Milestone] = []
    left_out: list[str] = []
    previous, last_planned = now, None
    for step in policy.timeline.get(escalation_type, []):
        event_kind, status = _DELIVERED_BY.get(step.key, (None, None))
        event = latest_event(ctx.ticket, event_kind, now=now) if event_kind else None
        if step.key == "interim_mitigation" and fixed is not None:
            continue  # a deployed fix supersedes any interim step
        if step.key == "named_owner" and any(play.owner for play in ctx.save_plays):
            continue  # the recovery already has an owner, named in the email
        if event is not None and status is not None:
            label = phrase("milestone", key=step.key, status=status, mentions_invoice=invoice)
            text = moment_text(event.at, now=now, tz=tz, kind="at")
            delivered.append((event.at, Milestone(key=step.key, milestone=label, due=None, due_text=text, status=status)))
            continue
        label = phrase("milestone", key=step.key, status="planned", mentions_invoice=invoice)
        if step.dated_by == "record":
            recorded = _recorded_milestone(ctx, step, label=label, promise=promise, tz=tz, now=now)
            left_out += [step.key] if recorded is None else []
            planned += [recorded] if recorded is not None else []
            previous = max(previous, recorded.due) if recorded is not None and recorded.due else previous
            continue
        due, relative = None, False
        if open_window:
            floor = _gap_floor(last_planned, gap=gap, promise=promise, limit=clock.resolution_due)
            point = max(_raw_point(step, clock=clock, calendar=calendar, now=now), floor)
            due, relative = _humane(point, previous=max(previous, floor), now=now, limit=clock.resolution_due,
                                    promise=promise, near=near)
            previous = last_planned = max(previous, due)
        planned.append(Milestone(key=step.key, milestone=label, due=due, due_text=_planned(due, relative, now=now, tz=tz),
                                 relative=relative))
    return [m for _, m in sorted(delivered, key=lambda pair: pair[0])] + planned, left_out


def next_update(
    *, clock: SlaClock, calendar: BusinessCalendar, policy: Policy, tz: ZoneInfo, now: datetime
) -> Milestone:
    """The next update commitment: one cadence from `now`, made human like a milestone.

    On a business-hours clock an update falling outside business hours moves to the next opening.
    It is never later than `resolution_due` while that is still ahead.
    """
    row = policy.sla.row(clock.severity)
    due = _promise(due_after(now, row.update_every, row=row, calendar=calendar), now=now)
    limit = clock.resolution_due if clock.resolution_due > now else due
    due = min(due, limit)
    due, relative = _humane(due, previous=now, now=now, limit=limit, promise=promise_calendar(calendar, policy),
                            near=timedelta(hours=policy.email.relative_within_hours))
    label = phrase("milestone", key="next_update", status="planned", mentions_invoice=False)
    return Milestone(key="next_update", milestone=label, due=due, due_text=_planned(due, relative, now=now, tz=tz),
                     relative=relative)
