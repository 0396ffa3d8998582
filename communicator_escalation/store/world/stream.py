"""Read a world file as a stream: top-level values one by one, list sections record by record.

A world of 100,000 customers is a 1.4 GB file; decoding it whole would hold it (several times) in
memory. This reader keeps one window of the file: it decodes the top-level object itself and hands
each top-level value, or each element of a list value, to the standard library's C JSON decoder
(`raw_decode`). ijson's event stream was measured at twice the cost per record of this, and its
`items()` follows one prefix per pass over the file.

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


class _Window:
    """A decoded window over the file, refilled as values are consumed."""

    def __init__(self, binary: BinaryIO, source: str, progress: Callable[[int], None] | None) -> None:
        self.binary, self.source, self.progress = binary, source, progress
        # invalid bytes become lone surrogates, which validation reports with the record and field
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text, self.pos, self.eof = "", 0, False
        self.bytes_read, self.line = 0, 1  # lines dropped from the window so far

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
    binary: BinaryIO, *, source: str, sections: frozenset[str], progress: Callable[[int], None] | None = None
) -> Iterator[Item]:
    """Yield (key, None, value) for top-level values and (key, index, record) for the elements of the
    lists under `sections`, in file order.

    Args:
        binary: The file, opened for binary reading.
        source: Its name, for messages.
        sections: Top-level keys whose list values are streamed element by element.
        progress: Called with the number of bytes read so far.

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
            yield from _elements(window, key)
        else:
            yield key, None, window.value()
    window.expect("}")
    if window.peek():
        raise WorldFileError("world.extra_data", source=source, at=window.where(window.pos))


def _elements(window: _Window, key: str) -> Iterator[Item]:
    window.expect("[")
    if window.peek() == "]":
        window.pos += 1
        return
    index = 0
    while True:
        yield key, index, window.value(f"{key}[{index}]")
        index += 1
        found = _NEXT.match(window.text, window.pos)
        if found is None or found.end() == len(window.text):  # not in this window: the slow path
            if window.expect(",]") == "]":
                return
        else:
            window.pos = found.end()
            if found.group(1) == "]":
                return
