"""Short texts of Step 2 (labels, reasons, notes, time phrases) rendered from prompts/strategy/."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ..rendering import render

__all__ = ["moment_text", "phrase"]


_PLAIN = (str, int, float, bool, type(None), date, datetime)


@lru_cache(maxsize=4096)
def _rendered(template: str, variables: tuple[tuple[str, Any], ...]) -> str:
    return " ".join(render(f"strategy/{template}.txt.j2", **dict(variables)).split())


def phrase(template: str, **variables: Any) -> str:
    """Render prompts/strategy/<template>.txt.j2 as one line (whitespace collapsed).

    The templates are pure, so a phrase of plain values (strings, numbers, dates) is rendered once per
    process: a draft asks for some 40 phrases, most of them the same from one draft to the next.
    """
    if all(isinstance(value, _PLAIN) for value in variables.values()):
        return _rendered(template, tuple(sorted(variables.items())))
    return " ".join(render(f"strategy/{template}.txt.j2", **variables).split())


def _zone_name(local: datetime) -> str:
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[0] in "+-" else name


def moment_text(
    moment: datetime | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    kind: Literal["planned", "at", "in_place", "done", "unknown"] = "planned",
) -> str:
    """`moment` as the recipient reads it, relative to `now` in `tz`.

    E.g. "today by 5:00 PM EST", "tomorrow by 10:00 AM EST", "Monday by 9:00 AM CST",
    "today at 11:10 AM EST" (kind "at"), "in place since today at 11:10 AM EST";
    "[confirm: date]" when `moment` is None.
    """
    if moment is None:
        return phrase("due_text", kind="unknown")
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
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
