"""The package's one Jinja2 environment: every text under prompts/ (emails, chat, CLI, errors, web pages).

Text templates render as written; HTML templates (`*.html.j2`, the web UI's pages) are autoescaped, so
every value a page shows is escaped unless a template marks it safe. Undefined variables raise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_compact_currency, format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .duration_words import LOCALE, duration_text

__all__ = ["local_time", "phrases", "prompts_dir", "render", "sentence", "usd", "usd_short"]


def prompts_dir() -> Path:
    """The prompts folder: packaged beside the code in a wheel, at the repository root in a checkout."""
    packaged = Path(__file__).resolve().parent / "prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "prompts"


def usd_short(amount: float) -> str:
    """Dollar amount as a CSM reads it: $4,500 below ten thousand, else compact ($340K, $1.2M) by CLDR."""
    if abs(amount) < 10_000:
        return usd(amount)
    return format_compact_currency(amount, "USD", locale=LOCALE, fraction_digits=1 if abs(amount) >= 1_000_000 else 0)


def usd(amount: float) -> str:
    """Whole dollars with grouping: $1,234,567."""
    return format_currency(amount, "USD", locale=LOCALE, format="¤#,##0", currency_digits=False)


def sentence(text: str) -> str:
    """Text ending with a full stop, unless it already ends with punctuation."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def local_time(moment: datetime, zone: str | None = None) -> str:
    """A moment as a person reads it in their timezone (UTC when none or unknown): 'Tue 1 Dec, 11:33 PST'."""
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(prompts_dir()),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the package: no stat() of the file on every render
    )
    env.filters["usd_short"] = usd_short
    env.filters["usd"] = usd
    env.filters["sentence"] = sentence
    env.filters["local_time"] = local_time
    env.filters["duration"] = duration_text
    env.globals["utc"] = UTC  # catalogue macros (`phrases`) see globals only, not render() variables
    return env


def render(name: str, **variables: Any) -> str:
    """Render template `name` (path under prompts/); a missing variable raises, never renders empty."""
    return _environment().get_template(name).render(**variables)


def phrases(name: str) -> Any:
    """The macros and `set` names of template `name`, a catalogue of short texts (e.g. `cli/context.j2`).

    Call a macro as a function: `phrases("cli/context.j2").renewal(customer)`.
    """
    return _environment().get_template(name).module
