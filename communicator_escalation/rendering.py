"""Jinja2 rendering of everything under prompts/ (email templates, LLM prompts), strictly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["prompts_dir", "render"]


def prompts_dir() -> Path:
    """The prompts folder: packaged beside the code in a wheel, at the repository root in a checkout."""
    packaged = Path(__file__).resolve().parent / "prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "prompts"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(prompts_dir()),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the package: no stat() of the file on every render
    )


def render(name: str, **variables: Any) -> str:
    """Render template `name` (path under prompts/); a missing variable raises, never renders empty."""
    return _environment().get_template(name).render(**variables)
