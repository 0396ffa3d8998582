"""What text from outside may contain: one rule each for header values, request strings and invisibles.

- `header_problem`: the rule for a value that goes into a mail header (Subject, display names, ids),
  used where a message is built and again wherever such a value is edited: no control character (C0,
  C1, DEL, so no CR, LF, NUL, VT or FF), no lone surrogate, no line or paragraph separator
  (U+2028/U+2029), no byte-order mark, and no RFC 2047 encoded-word (`=?...?=`, which the header
  registry would decode into anything, line breaks included).
- `text_problem`: the rule for any string a request carries: no NUL, no lone surrogate, no control
  character; multi-line text may hold tabs and line breaks.
- `strip_invisible`: bidi controls and zero-width characters removed, for header values as they are
  built (a reader cannot see them, and they can reorder what the reader sees).
- `SingleLine`, `MultiLine`, `HeaderLine`: pydantic string types that refuse what those rules refuse.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "INVISIBLE",
    "MAX_SUBJECT_LENGTH",
    "HeaderLine",
    "MultiLine",
    "SingleLine",
    "header_problem",
    "strip_invisible",
    "text_problem",
]

# Bidi embeddings, overrides, isolates and marks; zero-width space, joiners, word joiner, invisible
# operators and the zero-width no-break space (BOM).
INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE_RE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")
# The header registry decodes RFC 2047 encoded words in assigned values, so "=?utf-8?q?=0D=0A?="
# would smuggle a line break past a plain character check.
_ENCODED_WORD = re.compile(r"=\?.*\?=", re.DOTALL)
_LINE_BREAKS = frozenset("\t\n\r")
MAX_SUBJECT_LENGTH = 998
"""Most characters of an edited subject: RFC 5322's limit for one header line."""


def _describe(char: str) -> str:
    """`char` as a reader can see it, e.g. 'U+2028 LINE SEPARATOR'."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def header_problem(value: str, *, max_length: int | None = None) -> str | None:
    """Why `value` may not be a header value (one line of text), or None when it may.

    Args:
        value: The text, e.g. a subject or a display name.
        max_length: Most characters allowed, when there is a limit.
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char == "\ufeff":
            return f"contains a forbidden character ({_describe(char)}): no control characters or line breaks"
    if _ENCODED_WORD.search(value):
        return "contains RFC 2047 encoded-word syntax ('=?...?='), which is refused"
    if max_length is not None and len(value) > max_length:
        return f"is longer than {max_length} characters"
    return None


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` may not be request text, or None when it may.

    Args:
        value: The text.
        multiline: Tabs, CR and LF are allowed (a body, an instruction); otherwise no control
            character at all, nor a line or paragraph separator.
    """
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "contains a lone UTF-16 surrogate, which is not text"
        if category == "Cc" and not (multiline and char in _LINE_BREAKS):
            return "contains a line break" if char in "\r\n" else f"contains a control character ({_describe(char)})"
        if category in ("Zl", "Zp") and not multiline:
            return f"contains a line break ({_describe(char)})"
    return None


def strip_invisible(value: str) -> str:
    """`value` without bidi controls and zero-width characters."""
    return _INVISIBLE_RE.sub("", value)


def _refuse(problem: str | None, value: str) -> str:
    if problem is not None:
        raise ValueError(problem)
    return value


SingleLine = Annotated[str, AfterValidator(lambda v: _refuse(text_problem(v, multiline=False), v))]
"""One line of text: no control characters, line breaks or lone surrogates."""

MultiLine = Annotated[str, AfterValidator(lambda v: _refuse(text_problem(v, multiline=True), v))]
"""Text that may span lines: no NUL, lone surrogate or control character but tab, CR and LF."""

HeaderLine = Annotated[str, AfterValidator(lambda v: _refuse(header_problem(v), v))]
"""A header value (a subject): `header_problem`'s rule."""
