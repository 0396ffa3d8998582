"""Render what the offline chat model says from the jinja2 templates in prompts/chat/."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from communicator_escalation.errors import ConfigurationError

_PACKAGE_DIR = Path(__file__).resolve().parents[2]
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def prompts_dir() -> Path:
    """The prompts folder: inside the installed package, else at the source checkout's root."""
    for candidate in (_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parent / "prompts"):
        if (candidate / "chat").is_dir():
            return candidate
    raise ConfigurationError(f"prompts/chat not found next to {_PACKAGE_DIR}")


def usd_short(amount: float) -> str:
    """Dollar amount as a CSM reads it: $340K, $1.2M, $4,500."""
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M")):
        if value >= size * 0.9995:
            return f"{sign}${f'{value / size:.1f}'.removesuffix('.0')}{suffix}"
    if value >= 10_000:
        return f"{sign}${round(value / 1000)}K"
    return f"{sign}${value:,.0f}"


def sentence(text: str) -> str:
    """Text ending with a full stop, unless it already ends with punctuation."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(prompts_dir() / "chat"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd_short"] = usd_short
    env.filters["sentence"] = sentence
    return env


def render_chat(template: str, /, **data: Any) -> str:
    """Render prompts/chat/<template>; a missing variable is an error (StrictUndefined)."""
    text = _environment().get_template(template).render(**data)
    return _BLANK_RUNS.sub("\n\n", text).strip()
