"""Render what the offline chat model says from the jinja2 templates in prompts/chat/."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from communicator_escalation.errors import ConfigurationError
from communicator_escalation.rendering import usd_short

_PACKAGE_DIR = Path(__file__).resolve().parents[2]
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def prompts_dir() -> Path:
    """The prompts folder: inside the installed package, else at the source checkout's root."""
    for candidate in (_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parent / "prompts"):
        if (candidate / "chat").is_dir():
            return candidate
    raise ConfigurationError(f"prompts/chat not found next to {_PACKAGE_DIR}")


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
