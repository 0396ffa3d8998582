"""The escalation clock and business-hours arithmetic in the customer's timezone.

Business hours are the policy's opening hours (09:00-17:00, Monday to Friday by default) on the
customer's local calendar, so daylight-saving changes are handled by zoneinfo: every local day is
turned into its own UTC window. Public holidays come from the `holidays` package for the customer's
country; the country is given explicitly or derived from the IANA timezone through CLDR's zone
territories (`country_for_timezone`, Babel's data), and without one no holidays are observed.
Every datetime returned is timezone-aware UTC; naive inputs are read as UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from babel.core import get_global
from pydantic import BaseModel, ConfigDict, Field

from ...errors import ConfigurationError
from ...models import Severity, SlaClock, Urgency
from ..duration import Duration
from ..policy import BusinessHours, Policy, SlaRow
from ...utc import utcnow

__all__ = [
    "BusinessCalendar",
    "add_business_time",
    "business_calendar",
    "business_time_between",
    "country_for_timezone",
    "due_after",
    "is_business_time",
    "last_business_moment",
    "next_business_moment",
    "sla_clock",
    "zone",
]

_MAX_DAYS = 3660  # ten years of calendar days; a calendar with no open day in that span is a config error
_DUE_SOON_FRACTION = 0.25
_UNKNOWN_REGION = "ZZ"  # CLDR's territory for Etc/Unknown; "001" (the world) is not alphabetic


class BusinessCalendar(BaseModel):
    """Open hours on one customer's local calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(description="IANA timezone of the customer.")
    country: str | None = Field(
        default=None, description="ISO country whose public holidays close the day; None = none."
    )
    hours: BusinessHours = Field(default_factory=BusinessHours, description="Opening hours and days.")


def zone(timezone: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name.

    Raises:
        ConfigurationError: the name is not a known timezone.
    """
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigurationError("policy.unknown_timezone", timezone=timezone) from err


def country_for_timezone(timezone: str) -> str | None:
    """The country (ISO 3166-1 alpha-2) of an IANA zone, from CLDR's zone territories; else None.

    Aliases ("US/Eastern", "Asia/Calcutta", "Iceland") count as the zone they name; zones of no
    country ("UTC", "Etc/GMT+5", "EST5EDT") and unknown names have none. Babel loads the data once.
    """
    zone_name = get_global("zone_aliases").get(timezone, timezone)
    territory = get_global("zone_territories").get(zone_name)
    return territory if territory and territory.isalpha() and territory != _UNKNOWN_REGION else None


@lru_cache(maxsize=64)
def _holiday_calendar(country: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None


def business_calendar(*, timezone: str, country: str | None = None, policy: Policy | None = None) -> BusinessCalendar:
    """The calendar for a customer: its zone, holiday country (given or derived) and opening hours.

    A country the `holidays` package does not know is dropped (no holidays observed).

    Raises:
        ConfigurationError: unknown timezone.
    """
    zone(timezone)
    hours = (policy or Policy()).business_hours
    code = (country or country_for_timezone(timezone) or "").upper() or None
    if not hours.observe_public_holidays or (code and _holiday_calendar(code) is None):
        code = None
    return BusinessCalendar(timezone=timezone, country=code, hours=hours)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _is_open_day(day: date, calendar: BusinessCalendar) -> bool:
    if day.weekday() not in calendar.hours.weekdays:
        return False
    holiday_days = _holiday_calendar(calendar.country) if calendar.country else None
    return holiday_days is None or day not in holiday_days


def _windows(moment: datetime, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """UTC (open, close) windows of open days, from the local day of `moment` on."""
    tz = zone(calendar.timezone)
    day = _utc(moment).astimezone(tz).date()
    for offset in range(_MAX_DAYS):
        current = day + timedelta(days=offset)
        if _is_open_day(current, calendar):
            opens = datetime.combine(current, calendar.hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(current, calendar.hours.end, tzinfo=tz).astimezone(UTC)
            yield opens, closes
    raise ConfigurationError("policy.calendar_closed", timezone=calendar.timezone, days=_MAX_DAYS)


def is_business_time(moment: datetime, *, calendar: BusinessCalendar) -> bool:
    """True when `moment` is within opening hours (opening inclusive, closing exclusive)."""
    at = _utc(moment)
    opens, closes = next(_windows(at, calendar))
    return opens <= at < closes


def next_business_moment(moment: datetime, *, calendar: BusinessCalendar) -> datetime:
    """`moment` itself when it is business time, else the next opening."""
    at = _utc(moment)
    for opens, closes in _windows(at, calendar):
        if at < closes:
            return max(at, opens)
    raise AssertionError("unreachable: _windows raises when exhausted")


def last_business_moment(moment: datetime, *, calendar: BusinessCalendar) -> datetime | None:
    """`moment` itself when it is business time (closing included), else the last closing before it (two weeks back at most)."""
    tz = zone(calendar.timezone)
    local = _utc(moment).astimezone(tz)
    for back in range(15):
        day = local.date() - timedelta(days=back)
        if not _is_open_day(day, calendar):
            continue
        opens = datetime.combine(day, calendar.hours.start, tzinfo=tz)
        closes = datetime.combine(day, calendar.hours.end, tzinfo=tz)
        if back == 0 and local < opens:
            continue
        return min(local, closes).astimezone(UTC)
    return None


def add_business_time(start: datetime, amount: timedelta, *, calendar: BusinessCalendar) -> datetime:
    """The moment `amount` of open business time after `start` (counting starts at the next opening).

    Ends exactly at a closing time when the amount runs out there (e.g. "today by 5:00 PM").
    """
    at = _utc(start)
    remaining = amount
    for opens, closes in _windows(at, calendar):
        begin = max(at, opens)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: _windows raises when exhausted")


def business_time_between(start: datetime, end: datetime, *, calendar: BusinessCalendar) -> timedelta:
    """Open business time from `start` to `end`; negative when `end` is before `start`."""
    first, last = _utc(start), _utc(end)
    if last < first:
        return -business_time_between(last, first, calendar=calendar)
    total = timedelta(0)
    for opens, closes in _windows(first, calendar):
        if opens >= last:
            break
        begin, finish = max(first, opens), min(last, closes)
        if finish > begin:
            total += finish - begin
    return total


def due_after(start: datetime, duration: Duration, *, row: SlaRow, calendar: BusinessCalendar) -> datetime:
    """When `duration` after `start` ends under `row`'s clock.

    Business units count open time. Wall units count elapsed time; under a business-hours clock a
    result outside business hours moves to the next opening.
    """
    if duration.is_business:
        return add_business_time(start, duration.business(calendar.hours), calendar=calendar)
    due = _utc(start) + duration.wall()
    return next_business_moment(due, calendar=calendar) if row.clock == "business_hours" else due


def _urgency(*, now: datetime, started: datetime, due: datetime, row: SlaRow, calendar: BusinessCalendar) -> Urgency:
    if now > due:
        return "breached"
    if row.clock == "business_hours":
        window = business_time_between(started, due, calendar=calendar)
        left = business_time_between(now, due, calendar=calendar)
    else:
        window, left = due - started, due - now
    return "due_soon" if left < window * _DUE_SOON_FRACTION else "on_track"


def sla_clock(
    *,
    severity: Severity,
    started_at: datetime,
    timezone: str,
    country: str | None = None,
    policy: Policy,
    now: datetime | None = None,
) -> SlaClock:
    """The escalation clock: deadlines from `started_at` (the signal's detected_at) and urgency at `now`.

    `urgency` is `breached` past the first-response deadline, `due_soon` when less than a quarter of
    the first-response window is left (counted in business time on a business-hours clock), else
    `on_track`. `minutes_to_first_response_due` is wall-clock minutes, negative when late.

    Raises:
        ConfigurationError: unknown timezone.
    """
    row = policy.sla.row(severity)
    calendar = business_calendar(timezone=timezone, country=country, policy=policy)
    started, current = _utc(started_at), _utc(utcnow(now))
    first_due = due_after(started, row.first_response, row=row, calendar=calendar)
    resolution_due = due_after(started, row.resolution, row=row, calendar=calendar)
    update_hours = (
        row.update_every.business(calendar.hours) if row.update_every.is_business else row.update_every.wall()
    ).total_seconds() / 3600
    return SlaClock(
        severity=severity,
        clock=row.clock,
        started_at=started,
        first_response_due=first_due,
        update_every_hours=update_hours,
        resolution_due=resolution_due,
        minutes_to_first_response_due=int((first_due - current).total_seconds() // 60),
        urgency=_urgency(now=current, started=started, due=first_due, row=row, calendar=calendar),
    )
