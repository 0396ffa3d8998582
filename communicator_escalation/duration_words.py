"""Spans of time as a CSM reads them: "45 minutes", "5 hours 20 minutes", "2 days 3 hours".

One wording for every CSM surface (CLI, chat, web, review notes), registered once as the `duration`
filter of the Jinja environment (rendering.py). Unit names and plurals come from CLDR through Babel.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

from babel.lists import format_list
from babel.units import format_unit

__all__ = ["LOCALE", "DurationUnit", "duration_text"]

DurationUnit = Literal["seconds", "minutes", "hours"]

LOCALE = "en"  # the locale of every CSM surface (durations here, money in rendering.py)
_MINUTES_PER: dict[str, float] = {"seconds": 1 / 60, "minutes": 1, "hours": 60}
_DAY = 24 * 60


def duration_text(amount: float, unit: DurationUnit = "minutes") -> str:
    """`amount` of `unit` in words, at most two units: minutes; hours and minutes; days and hours.

    Rounded half up to the minute, and to the hour from one day on. A negative amount reads as
    zero: a caller showing an overdue time passes its absolute value.
    """
    return _words(max(0, math.floor(amount * _MINUTES_PER[unit] + 0.5)))


@lru_cache(maxsize=4096)
def _words(minutes: int) -> str:
    """The wording of a whole number of minutes (cached: Babel's formatting costs ~0.1 ms a call)."""
    if minutes >= _DAY:
        days, hours = divmod((minutes + 30) // 60, 24)
        parts = [(days, "duration-day"), (hours, "duration-hour")]
    else:
        hours, minutes = divmod(minutes, 60)
        parts = [(hours, "duration-hour"), (minutes, "duration-minute")]
    words = [format_unit(count, name, length="long", locale=LOCALE) for count, name in parts if count]
    if not words:
        return format_unit(0, "duration-minute", length="long", locale=LOCALE)
    return format_list(words, style="unit-narrow", locale=LOCALE)
