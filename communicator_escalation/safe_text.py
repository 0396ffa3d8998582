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
- `nested_text_problem`: `text_problem` over every key and string of a JSON value, however nested.
- `encodable`: text (or JSON) with every lone surrogate written as its `\\uXXXX` escape, so it can be
  sent on as UTF-8 (e.g. a model's refused tool call, back to the model) and still shows what was there.
- `input_problems`: pydantic's validation errors as lines a person or a model can read, with the
  field names a caller made up escaped (an unknown field may be named with anything).
- `SingleLine`, `MultiLine`, `HeaderLine`: pydantic string types that refuse what those rules refuse;
  `Identifier` (ids the product makes) and `WorldId` (ids a world file gives): an id's shape and
  length, checked before the id reaches SQL.

Every door applies these same types: the HTTP API's bodies, paths and queries, the tools' argument
models (the agent, MCP), the LangGraph server's run input and resume value, and the CLI's arguments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

__all__ = [
    "ID_MAX_LENGTH",
    "ID_PATTERN",
    "INVISIBLE",
    "LINE_PATTERN",
    "MAX_SUBJECT_LENGTH",
    "WORLD_ID_MAX_LENGTH",
    "HeaderLine",
    "Identifier",
    "MultiLine",
    "SingleLine",
    "WorldId",
    "encodable",
    "header_problem",
    "input_problems",
    "nested_text_problem",
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
ID_MAX_LENGTH = 128
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:@+=~-]{0,127}$"
"""An id the product makes (response, approval, thread): ASCII letters, digits and `_.:@+=~-`, at most 128."""
# Checked by pydantic-core, not Python, so a world of 4 million records stays cheap to load.
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
"""One line of text as a world file may hold it: no control character, line or paragraph separator or bidi override."""
WORLD_ID_MAX_LENGTH = 200
_PATTERN_PROBLEMS = {
    ID_PATTERN: "is not an id (ASCII letters, digits and _.:@+=~- only)",
    LINE_PATTERN: "contains a control character, line break or bidi override",
}


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


def nested_text_problem(value: Any) -> str | None:
    """Why a JSON value may not be request data (a key or string, however nested, `text_problem`), or None."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend([*item.keys(), *item.values()])
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, str) and (problem := text_problem(item, multiline=True)) is not None:
            return f"a value {problem}"
    return None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(value: Any) -> Any:
    """`value` (a string, or lists and dicts of strings) with each lone surrogate as its `\\uXXXX` escape."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found[0]):04x}", value)
    if isinstance(value, list):
        return [encodable(item) for item in value]
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    return value


_SHOWN_NAME_MAX = 60


def _shown(part: object) -> str:
    """A field name or index as it may be shown: printable, short, else escaped (`ascii`)."""
    text = str(part)
    return text if text.isprintable() and len(text) <= _SHOWN_NAME_MAX else ascii(text[:_SHOWN_NAME_MAX])


def input_problems(errors: Iterable[Mapping[str, Any]]) -> list[str]:
    """`ValidationError.errors()` as lines 'field: what is wrong' (never the refused value itself)."""
    lines = []
    for error in errors:
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = _PATTERN_PROBLEMS.get(error["ctx"]["pattern"], message)
        elif error["type"] == "string_unicode":
            message = "is not text (a lone surrogate or an invalid byte)"
        elif error["type"] == "too_long" and error["ctx"].get("field_type") == "Value":  # text checked by a validator
            message = f"String should have at most {error['ctx']['max_length']} characters"
        where = ".".join(map(_shown, error["loc"]))
        lines.append(f"{where}: {message}" if where else message)
    return lines


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

Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
"""An id given from outside (signal, response, thread): `ID_PATTERN`'s shape."""

WorldId = Annotated[str, StringConstraints(min_length=1, max_length=WORLD_ID_MAX_LENGTH, pattern=LINE_PATTERN)]
"""An id a world file gives (staff, customer, signal, ...): one line of text, at most 200 characters."""
