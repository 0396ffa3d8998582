"""Read a world file as a stream: top-level values one by one, list sections record by record.

A world of 100,000 customers is a 1.4 GB file; decoding it whole would hold it (several times) in
memory. This reader keeps one window of the file: it decodes the top-level object itself and hands
each top-level value, or each element of a list value, to the standard library's C JSON decoder
(`raw_decode`). ijson's event stream was measured at twice the cost per record of this, and its
`items()` follows one prefix per pass over the file.

Given `parse`, a list section is read in runs instead: from a record to the last record boundary
within 16 kB (a `}` then a comma, a line break and the next `{` at the indentation of the record's own
line; never past a line that starts with the list's `]`), handed whole to `parse` as one JSON array, so
records are validated straight from their text (no Python objects for the JSON in between). The array
is valid JSON only if the cut really falls between two records (a cut inside a nested list leaves a
bracket open; a string cannot hold a raw line break); when `parse` refuses a run (not JSON, or any
record invalid), the same records are decoded one by one and reported as above.

Every problem is a `WorldFileError` of one line: not JSON (line and column, and the record: `contacts[3]`),
nested too deeply, a number too large, a key given twice. Bytes that are not UTF-8 are decoded to lone
surrogates, which record validation then reports with the record and field.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from ...errors import WorldFileError, error_text

__all__ = ["Item", "stream_world"]

_CHUNK = 1 << 20
_MAX_RECORD = 16 << 20  # no single record is this large: past it a decoding error is final
_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"[ \t\n\r]*")
# between two list elements: optional blanks, a comma or the closing bracket, optional blanks
_NEXT = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")

# (top-level key, index within the list or None, value)
Item = tuple[str, int | None, Any]
# (section key, a JSON array of records) -> the parsed records, or None to take them one by one
Parse = Callable[[str, str], list[Any] | None]
# The text of one run at most: a longer run keeps more records alive at once, which the garbage
# collector then traverses (1 MB runs cost twice the CPU per record of 16 kB runs).
_RUN_MAX = 16 << 10
# where a record ends, right before the line break that starts the next one
_RECORD_END = re.compile(r"\}[ \t\r]*,[ \t\r]*\Z")


class _Window:
    """A decoded window over the file, refilled as values are consumed."""

    def __init__(self, binary: BinaryIO, source: str, progress: Callable[[int], None] | None) -> None:
        self.binary, self.source, self.progress = binary, source, progress
        # invalid bytes become lone surrogates, which validation reports with the record and field
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text, self.pos, self.eof = "", 0, False
        self.bytes_read, self.line = 0, 1  # lines dropped from the window so far
        self.dropped = 0  # characters dropped from the window so far
        self.one_by_one_until = 0  # (in characters from the start) a refused run: records one by one

    def fill(self) -> bool:
        """Read one more chunk; False at the end of the file."""
        if self.eof:
            return False
        chunk = self.binary.read(_CHUNK)
        self.eof = not chunk
        decoded = self.decoder.decode(chunk, final=self.eof)
        self.bytes_read += len(chunk)
        if self.progress is not None:
            self.progress(self.bytes_read)
        self.line += self.text.count("\n", 0, self.pos)
        self.dropped += self.pos
        self.text, self.pos = self.text[self.pos:] + decoded, 0
        return not self.eof or bool(decoded)

    def where(self, pos: int) -> str:
        line = self.line + self.text.count("\n", 0, pos)
        column = pos - self.text.rfind("\n", 0, pos)
        return error_text("world.at", line=line, column=column)

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            self.pos = _BLANK.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def expect(self, chars: str) -> str:
        found = self.peek()
        if not found or found not in chars:
            raise WorldFileError("world.json_expected", source=self.source, at=self.where(self.pos), wanted=list(chars))
        self.pos += 1
        return found

    def value(self, record: str = "") -> Any:
        """Decode the next JSON value (`record` names it in messages), reading more of the file until it is complete."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as err:
                if len(self.text) - self.pos < _MAX_RECORD and self.fill():
                    continue
                raise WorldFileError("world.json_invalid", source=self.source, record=record, at=self.where(err.pos),
                                     detail=err.msg) from err
            except RecursionError as err:
                raise WorldFileError("world.json_deep", source=self.source, record=record, at=self.where(self.pos)) from err
            except ValueError as err:  # an integer of thousands of digits
                raise WorldFileError("world.json_number", source=self.source, record=record, at=self.where(self.pos)) from err
            if end == len(self.text) and not self.eof and self.fill():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value


def stream_world(
    binary: BinaryIO, *, source: str, sections: frozenset[str], progress: Callable[[int], None] | None = None,
    parse: Parse | None = None,
) -> Iterator[Item]:
    """Yield (key, None, value) for top-level values and (key, index, record) for the elements of the
    lists under `sections`, in file order.

    Args:
        binary: The file, opened for binary reading.
        source: Its name, for messages.
        sections: Top-level keys whose list values are streamed element by element.
        progress: Called with the number of bytes read so far.
        parse: Parses runs of records (see above); what it returns is yielded in place of the decoded
            records. Records it refuses, and the last of each list, are yielded decoded.

    Raises:
        WorldFileError: The file is not UTF-8, not one JSON object, or breaks the limits above.
    """
    window = _Window(binary, source, progress)
    if window.peek() != "{":
        raise WorldFileError("world.not_object", source=source)
    window.expect("{")
    seen: set[str] = set()
    while window.peek() != "}":
        if seen:
            window.expect(",")
        key = window.value()
        if not isinstance(key, str):
            raise WorldFileError("world.json_key", source=source, at=window.where(window.pos))
        if key in seen:
            raise WorldFileError("world.key_twice", source=source, key=key)
        seen.add(key)
        window.expect(":")
        if key in sections and window.peek() == "[":
            yield from _elements(window, key, parse)
        else:
            yield key, None, window.value()
    window.expect("}")
    if window.peek():
        raise WorldFileError("world.extra_data", source=source, at=window.where(window.pos))


def _run(window: _Window, key: str, parse: Parse) -> list[Any] | None:
    """The records from `window.pos` to the last record boundary in the window, parsed by `parse`; None
    when there is no boundary or `parse` refuses them (then they are taken one by one)."""
    if window.dropped + window.pos < window.one_by_one_until:
        return None
    text, pos = window.text, window.pos
    indent = text[text.rfind("\n", 0, pos) + 1: pos]
    if indent.strip(" \t"):
        return None  # the record does not start its line
    if len(text) - pos < _RUN_MAX:
        window.fill()  # (moves the window, even at the end of the file)
        text, pos = window.text, window.pos
    start = "\n" + indent + "{"
    # not past the list's end: a line that starts with its `]` (no deeper than the records)
    limit = min(len(text), pos + _RUN_MAX)
    list_end = re.compile(rf"\n[ \t]{{0,{len(indent)}}}\]").search(text, pos, limit)
    cut = text.rfind(start, pos, list_end.start() if list_end else limit)
    while cut > pos and not _RECORD_END.search(text, max(pos, cut - 64), cut):
        cut = text.rfind(start, pos, cut)
    if cut <= pos:
        return None
    end = text.rindex("}", pos, cut) + 1
    values = parse(key, "[" + text[pos:end] + "]")
    if values is None:
        window.one_by_one_until = window.dropped + end
        return None
    window.pos = end
    return values


def _elements(window: _Window, key: str, parse: Parse | None) -> Iterator[Item]:
    window.expect("[")
    if window.peek() == "]":
        window.pos += 1
        return
    index = 0
    while True:
        values = _run(window, key, parse) if parse is not None else None
        for value in values if values is not None else (window.value(f"{key}[{index}]"),):
            yield key, index, value
            index += 1
        found = _NEXT.match(window.text, window.pos)
        if found is None or found.end() == len(window.text):  # not in this window: the slow path
            if window.expect(",]") == "]":
                return
        else:
            window.pos = found.end()
            if found.group(1) == "]":
                return
