"""Render what the offline chat model says from the jinja2 templates in prompts/chat/."""

from __future__ import annotations

import re
from typing import Any

from ...rendering import render

_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def render_chat(template: str, /, **data: Any) -> str:
    """Render prompts/chat/<template>; a missing variable is an error (StrictUndefined)."""
    return _BLANK_RUNS.sub("\n\n", render(f"chat/{template}", **data)).strip()
