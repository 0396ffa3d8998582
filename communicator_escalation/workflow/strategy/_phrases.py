"""Short texts of Step 2 (labels, reasons, notes, time phrases) rendered from prompts/strategy/."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ...models import ReviewNote
from ...rendering import render

__all__ = ["moment_text", "phrase", "review_note"]

_DAYTIME_START, _DAYTIME_END = 7, 21  # a clock time outside these hours is never written to a customer
# Review-note keys that share one code (the SLA state is one note, whichever words it takes).
_NOTE_CODES = {"breached": "sla", "due_soon": "sla"}


_PLAIN = (str, int, float, bool, type(None), date, datetime)
# One cached argument: its name, exact type and (for the types where equal values can render differently:
# 0.0 and -0.0; one instant in two time zones) repr beside the value, so values that compare equal but
# render differently (1, 1.0 and True too) never share an entry.
_EQUAL_APART = (float, datetime)
_Arg = tuple[str, type, str, Any]


@lru_cache(maxsize=4096)
def _rendered(template: str, variables: tuple[_Arg, ...]) -> str:
    return _render(template, {name: value for name, _, _, value in variables})


def _render(template: str, variables: dict[str, Any]) -> str:
    return " ".join(render(f"strategy/{template}.txt.j2", **variables).split())


def phrase(template: str, **variables: Any) -> str:
    """Render prompts/strategy/<template>.txt.j2 as one line (whitespace collapsed).

    The templates are pure, so a phrase of plain values (strings, numbers, dates: exactly these types,
    not subclasses) is rendered once per process: a draft asks for some 40 phrases, most of them the
    same from one draft to the next.
    """
    key = []
    for name, value in sorted(variables.items()):
        kind = type(value)
        if kind not in _PLAIN:
            return _render(template, variables)
        key.append((name, kind, repr(value) if kind in _EQUAL_APART else "", value))
    return _rendered(template, tuple(key))


def review_note(note: str, **variables: Any) -> ReviewNote:
    """An advisory review note rendered from prompts/strategy/review_note.txt.j2 (its code is the key)."""
    return ReviewNote(kind="advisory", code=_NOTE_CODES.get(note, note), text=phrase("review_note", note=note, **variables))


def _zone_name(local: datetime) -> str:
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[0] in "+-" else name


def moment_text(
    moment: datetime | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    kind: Literal["planned", "at", "unknown"] = "planned",
) -> str:
    """`moment` as the recipient reads it, relative to `now` in `tz`.

    E.g. "today by 5:00 PM EST", "tomorrow by 10:00 AM EST", "Monday by 9:00 AM CST",
    "today at 11:10 AM EST" (kind "at"); a past moment outside 07:00-21:00 local is said without its
    clock time ("earlier today", "yesterday", "on Monday"); "[confirm: date]" when `moment` is None.
    """
    if moment is None:
        return phrase("due_text", kind="unknown")
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if kind == "at" and not _DAYTIME_START <= local.hour < _DAYTIME_END:
        kind = "on_day"
    days = (local.date() - today).days
    day = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days, "weekday" if -7 < days < 7 else "date")
    return phrase(
        "due_text",
        kind=kind,
        day=day,
        weekday=f"{local:%A}",
        date=f"{local:%B} {local.day}",
        time=f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}",
        tz=_zone_name(local),
    )
