"""Business-hours arithmetic (weekends, DST, holidays) and the escalation clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from communicator_escalation.errors import ConfigurationError
from communicator_escalation.workflow.policy import BusinessHours, Policy, load_policy
from communicator_escalation.workflow.strategy.sla import (
    add_business_time,
    business_calendar,
    business_time_between,
    country_for_timezone,
    is_business_time,
    next_business_moment,
    sla_clock,
)

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
BERLIN = ZoneInfo("Europe/Berlin")
HOURS = timedelta(hours=1)


def local(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)


def cal(timezone: str, country: str | None = None, policy: Policy | None = None):
    return business_calendar(timezone=timezone, country=country, policy=policy)


def test_within_one_day_and_exactly_at_closing() -> None:
    calendar = cal("America/New_York")
    start = local(NEW_YORK, 2030, 6, 12, 10, 0)  # Wednesday
    assert add_business_time(start, 2 * HOURS, calendar=calendar) == local(NEW_YORK, 2030, 6, 12, 12, 0)
    assert add_business_time(start, 7 * HOURS, calendar=calendar) == local(NEW_YORK, 2030, 6, 12, 17, 0)
    assert add_business_time(start, 7 * HOURS + timedelta(minutes=1), calendar=calendar) == local(
        NEW_YORK, 2030, 6, 13, 9, 1
    )


def test_counting_skips_the_weekend_and_starts_at_the_next_opening() -> None:
    calendar = cal("America/New_York")
    friday = local(NEW_YORK, 2030, 6, 14, 15, 0)
    assert add_business_time(friday, 4 * HOURS, calendar=calendar) == local(NEW_YORK, 2030, 6, 17, 11, 0)
    saturday = local(NEW_YORK, 2030, 6, 15, 11, 0)
    assert add_business_time(saturday, 4 * HOURS, calendar=calendar) == local(NEW_YORK, 2030, 6, 17, 13, 0)
    early = local(NEW_YORK, 2030, 6, 12, 6, 30)
    assert add_business_time(early, HOURS, calendar=calendar) == local(NEW_YORK, 2030, 6, 12, 10, 0)
    assert next_business_moment(saturday, calendar=calendar) == local(NEW_YORK, 2030, 6, 17, 9, 0)
    assert next_business_moment(early, calendar=calendar) == local(NEW_YORK, 2030, 6, 12, 9, 0)
    assert not is_business_time(saturday, calendar=calendar)
    assert is_business_time(local(NEW_YORK, 2030, 6, 12, 9, 0), calendar=calendar)
    assert not is_business_time(local(NEW_YORK, 2030, 6, 12, 17, 0), calendar=calendar)


def test_spring_forward_weekend_keeps_local_opening_hours() -> None:
    calendar = cal("America/New_York")
    friday = local(NEW_YORK, 2026, 3, 6, 16, 0)  # EST; DST starts Sunday 2026-03-08
    due = add_business_time(friday, 4 * HOURS, calendar=calendar)
    assert due == local(NEW_YORK, 2026, 3, 9, 12, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # EDT, UTC-4
    assert business_time_between(friday, due, calendar=calendar) == 4 * HOURS
    assert (due - friday) == timedelta(days=2, hours=19)  # one wall hour shorter than the local gap


def test_fall_back_weekend_in_europe() -> None:
    calendar = cal("Europe/Berlin")
    friday = local(BERLIN, 2026, 10, 23, 16, 0)  # CEST; DST ends Sunday 2026-10-25
    due = add_business_time(friday, 2 * HOURS, calendar=calendar)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert business_time_between(due, friday, calendar=calendar) == -2 * HOURS


def test_public_holidays_of_the_customer_country_are_closed() -> None:
    chicago = cal("America/Chicago")
    assert chicago.country == "US"
    wednesday = local(CHICAGO, 2026, 11, 25, 15, 0)  # Thanksgiving is Thursday 2026-11-26
    assert add_business_time(wednesday, 4 * HOURS, calendar=chicago) == local(CHICAGO, 2026, 11, 27, 11, 0)
    berlin = cal("Europe/Berlin")
    before_unity_day = local(BERLIN, 2030, 10, 2, 16, 0)  # Tag der Deutschen Einheit, Thursday 2030-10-03
    assert add_business_time(before_unity_day, 2 * HOURS, calendar=berlin) == local(BERLIN, 2030, 10, 4, 10, 0)


def test_explicit_country_overrides_and_unknown_countries_are_dropped() -> None:
    assert cal("Etc/GMT-5").country is None  # a zone of no country
    assert cal("Etc/GMT-5", country="np").country == "NP"
    assert cal("Asia/Kathmandu", country="in").country == "IN"
    assert cal("Europe/Berlin", country="ZZ").country is None
    ignore = Policy(business_hours=BusinessHours(observe_public_holidays=False))
    assert cal("America/Chicago", policy=ignore).country is None
    wednesday = local(CHICAGO, 2026, 11, 25, 15, 0)
    assert add_business_time(wednesday, 4 * HOURS, calendar=cal("America/Chicago", policy=ignore)) == local(
        CHICAGO, 2026, 11, 26, 11, 0
    )


def test_custom_business_week_sunday_to_thursday() -> None:
    policy = Policy(business_hours=BusinessHours(start=time(8, 30), end=time(12, 30), weekdays=[6, 0, 1, 2, 3]))
    calendar = cal("Asia/Dubai", policy=policy)
    thursday = datetime(2030, 6, 13, 12, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    assert add_business_time(thursday, HOURS, calendar=calendar) == datetime(
        2030, 6, 16, 9, 0, tzinfo=ZoneInfo("Asia/Dubai")
    )


# The hand-kept zone -> country table the CLDR data replaced: every zone it knew keeps its country.
_OLD_ZONE_COUNTRY = {
    **dict.fromkeys(
        ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
         "America/Anchorage", "America/Boise", "America/Detroit", "America/Indiana/Indianapolis",
         "America/Kentucky/Louisville", "Pacific/Honolulu", "US/Eastern", "US/Central", "US/Mountain",
         "US/Pacific", "US/Arizona", "US/Alaska", "US/Hawaii"], "US"),
    **dict.fromkeys(
        ["America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Halifax",
         "America/St_Johns", "America/Regina", "Canada/Eastern", "Canada/Pacific", "Canada/Central"], "CA"),
    **dict.fromkeys(["Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth",
                     "Australia/Adelaide", "Australia/Hobart", "Australia/Darwin", "Australia/Canberra"], "AU"),
    **dict.fromkeys(["America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "America/Recife"], "BR"),
    **dict.fromkeys(["America/Mexico_City", "America/Monterrey", "America/Tijuana", "America/Cancun"], "MX"),
    **dict.fromkeys(["Europe/Madrid", "Atlantic/Canary"], "ES"),
    **dict.fromkeys(["Asia/Kolkata", "Asia/Calcutta"], "IN"),
    **dict.fromkeys(["Asia/Shanghai", "Asia/Chongqing", "PRC"], "CN"),
    "America/Argentina/Buenos_Aires": "AR", "America/Santiago": "CL", "America/Bogota": "CO",
    "America/Lima": "PE", "Europe/London": "GB", "Europe/Dublin": "IE", "Europe/Paris": "FR",
    "Europe/Berlin": "DE", "Europe/Rome": "IT", "Europe/Amsterdam": "NL", "Europe/Brussels": "BE",
    "Europe/Zurich": "CH", "Europe/Vienna": "AT", "Europe/Stockholm": "SE", "Europe/Oslo": "NO",
    "Europe/Copenhagen": "DK", "Europe/Helsinki": "FI", "Europe/Warsaw": "PL", "Europe/Prague": "CZ",
    "Europe/Lisbon": "PT", "Europe/Athens": "GR", "Europe/Istanbul": "TR", "Europe/Budapest": "HU",
    "Europe/Bucharest": "RO", "Europe/Luxembourg": "LU", "Asia/Tokyo": "JP", "Asia/Seoul": "KR",
    "Asia/Hong_Kong": "HK", "Asia/Singapore": "SG", "Asia/Taipei": "TW", "Asia/Manila": "PH",
    "Asia/Jakarta": "ID", "Asia/Bangkok": "TH", "Asia/Dubai": "AE", "Asia/Jerusalem": "IL",
    "Asia/Tel_Aviv": "IL", "Asia/Riyadh": "SA", "Asia/Karachi": "PK", "Asia/Kuala_Lumpur": "MY",
    "Pacific/Auckland": "NZ", "Africa/Johannesburg": "ZA", "Africa/Lagos": "NG", "Africa/Nairobi": "KE",
    "Africa/Cairo": "EG",
}


def test_every_zone_of_the_old_table_keeps_its_country() -> None:
    assert {z: country_for_timezone(z) for z in _OLD_ZONE_COUNTRY} == _OLD_ZONE_COUNTRY


def test_zones_beyond_the_old_table_and_zones_of_no_country() -> None:
    # Zones the table never listed; an alias counts as the zone it names, not as the zone it is linked to
    # today (tzdata links Iceland and Atlantic/Reykjavik to Africa/Abidjan).
    assert [country_for_timezone(z) for z in ("Europe/Kyiv", "Asia/Ho_Chi_Minh", "Iceland", "Atlantic/Reykjavik",
                                               "America/Argentina/Cordoba", "Europe/Vaduz")] == \
        ["UA", "VN", "IS", "IS", "AR", "LI"]
    assert [country_for_timezone(z) for z in ("Etc/UTC", "UTC", "Etc/GMT+5", "EST5EDT", "Factory", "Mars/Olympus",
                                              "")] == [None] * 7
    assert cal("Europe/Kyiv").country == "UA" and cal("Etc/GMT+5").country is None
    with pytest.raises(ConfigurationError, match="Mars/Olympus"):
        cal("Mars/Olympus")


def test_business_time_between_counts_only_open_hours() -> None:
    calendar = cal("America/New_York")
    friday_noon = local(NEW_YORK, 2030, 6, 14, 12, 0)
    monday_noon = local(NEW_YORK, 2030, 6, 17, 12, 0)
    assert business_time_between(friday_noon, monday_noon, calendar=calendar) == 8 * HOURS
    assert business_time_between(friday_noon, friday_noon, calendar=calendar) == timedelta(0)


def test_critical_clock_runs_around_the_clock() -> None:
    started = datetime(2030, 6, 15, 3, 0, tzinfo=UTC)  # a Saturday night in New York
    clock = sla_clock(
        severity="critical", started_at=started, timezone="America/New_York", policy=Policy(), now=started
    )
    assert clock.clock == "around_the_clock"
    assert clock.first_response_due == started + timedelta(minutes=30)
    assert clock.resolution_due == started + timedelta(hours=24)
    assert clock.update_every_hours == 2
    assert clock.minutes_to_first_response_due == 30
    assert clock.urgency == "on_track"


@pytest.mark.parametrize(
    ("minutes_after_start", "urgency", "minutes_left"),
    [(0, "on_track", 60), (44, "on_track", 16), (46, "due_soon", 14), (60, "due_soon", 0), (61, "breached", -1)],
)
def test_urgency_thresholds(minutes_after_start: int, urgency: str, minutes_left: int) -> None:
    started = datetime(2030, 6, 12, 14, 0, tzinfo=UTC)
    clock = sla_clock(
        severity="high",
        started_at=started,
        timezone="Europe/London",
        policy=Policy(),
        now=started + timedelta(minutes=minutes_after_start),
    )
    assert clock.urgency == urgency
    assert clock.minutes_to_first_response_due == minutes_left


def test_medium_clock_counts_business_hours_and_urgency_in_business_time() -> None:
    started = local(CHICAGO, 2030, 6, 15, 10, 0)  # Saturday
    policy = Policy()
    on_sunday = sla_clock(
        severity="medium", started_at=started, timezone="America/Chicago", policy=policy,
        now=local(CHICAGO, 2030, 6, 16, 20, 0),
    )
    assert on_sunday.clock == "business_hours"
    assert on_sunday.first_response_due == local(CHICAGO, 2030, 6, 17, 13, 0)
    # 5 business days from Monday 09:00, skipping Juneteenth (Wednesday 2030-06-19)
    assert on_sunday.resolution_due == local(CHICAGO, 2030, 6, 24, 17, 0)
    assert on_sunday.update_every_hours == 24
    assert on_sunday.urgency == "on_track"
    late_morning = sla_clock(
        severity="medium", started_at=started, timezone="America/Chicago", policy=policy,
        now=local(CHICAGO, 2030, 6, 17, 12, 30),
    )
    assert late_morning.urgency == "due_soon" and late_morning.minutes_to_first_response_due == 30


def test_low_clock_one_business_day_and_ten_business_days() -> None:
    started = local(BERLIN, 2030, 6, 12, 11, 0)  # Wednesday
    clock = sla_clock(severity="low", started_at=started, timezone="Europe/Berlin", policy=Policy(), now=started)
    assert clock.first_response_due == local(BERLIN, 2030, 6, 13, 11, 0)
    assert clock.resolution_due == local(BERLIN, 2030, 6, 26, 11, 0)


def test_policy_file_changes_the_clock(tmp_path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[sla.high]\nfirst_response = "2 hours"\n\n[sla.medium]\nclock = "around_the_clock"\n'
                    'first_response = "4 hours"\nresolution = "5 days"\n')
    policy = load_policy(path)
    started = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
    high = sla_clock(severity="high", started_at=started, timezone="UTC", policy=policy, now=started)
    assert high.first_response_due == started + 2 * HOURS
    medium = sla_clock(severity="medium", started_at=started, timezone="UTC", policy=policy, now=started)
    assert medium.clock == "around_the_clock"
    assert medium.resolution_due == started + timedelta(days=5)


def test_naive_datetimes_are_read_as_utc() -> None:
    started = datetime(2030, 6, 12, 14, 0)
    clock = sla_clock(severity="high", started_at=started, timezone="UTC", policy=Policy(), now=started)
    assert clock.first_response_due == datetime(2030, 6, 12, 15, 0, tzinfo=UTC)
