"""Load an `escalation-world/1` file: stream, validate, stage by COPY, upsert by id in one transaction.

The file is read as a stream (`stream`), each record validated (`format`) and copied, on
a connection of its own, into the load's staging tables (`stage`); meanwhile a writer thread
(`writer`) upserts what is staged, set-based, on the load's one transaction, the time shift
applied in SQL. All of it or nothing: any problem rolls the whole load back and is reported in one
line naming the record and the field.

A world's time shift (now - as_of) is fixed at its first load (`world_clocks`) and reused on every
reload, so loading the same file again, at any time, changes nothing. The optional `responses`
section (responses sent before the skill kept records) is written last, and the outcomes of what
was sent are recorded once the load commits (so the history personalizes the first drafts).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timezone
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from ...errors import WorldFileError, error_text
from ...insights.outcomes import record_outcomes
from .. import Store
from ..name_keys import name_keys
from .format import (
    PAST_RESPONSES, PATTERN_MESSAGES, SECTIONS, WORLD_FORMAT, HealthPointRecord, PastResponseRecord,
    Record, TicketEventRecord, VendorRecord,
)
from .stage import (
    CHUNK_ROWS, COLUMNS, FIELDS, Staging, find_broken_references, find_duplicates, find_rule_breaks,
    past_response_problems, write_past_responses,
)
from .writer import SectionWriter
from .stream import Item, stream_world
from ...utc import utcnow

__all__ = ["LoadReport", "Progress", "load_world"]

_MAX_LISTED = 5
_MODELS = {key: model for key, model, _refs in SECTIONS}
_RECORDS: dict[str, type[Record]] = {**_MODELS, PAST_RESPONSES: PastResponseRecord}
_NESTED = {"customers": "health_history", "tickets": "events"}
Conn = psycopg.Connection[dict[str, Any]]
# Called with (phase, done, total): ("reading", bytes read, file size), then ("writing", 0, 0).
Progress = Callable[[str, int, int], None]


class LoadReport(BaseModel):
    """What a load wrote."""

    source: str = Field(description="File loaded.")
    shift_seconds: float = Field(description="Seconds every timestamp was moved by (now - as_of at first load).")
    counts: dict[str, int] = Field(description="Records per section.")


def _problem(section: str, index: int | None, raw: Any, field: str, message: str) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    named = isinstance(rid, str) and rid.isprintable() and rid.strip()  # a broken id is shown by position
    where = f"{section} {rid!r}" if named else section if index is None else f"{section}[{index}]"
    return error_text("world.problem", where=where, field=field, message=message)


def _message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        return error_text(f"world.{PATTERN_MESSAGES.get(error['ctx']['pattern'], 'malformed')}")
    if error["type"] == "string_unicode":
        return error_text("world.not_utf8")
    return str(error["msg"])


def _loc(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(record)"


def _json_problem(value: Any, depth: int = 0) -> str | None:
    """Why an unknown key's value cannot be kept as JSON metadata, if it cannot."""
    if depth > 32:
        return error_text("world.too_deep")
    if isinstance(value, str):
        if "\x00" in value:
            return error_text("world.nul")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return error_text("world.not_utf8")
    elif isinstance(value, float) and not math.isfinite(value):
        return error_text("world.not_finite")
    elif isinstance(value, dict):
        return next((p for k, v in value.items() for p in [_json_problem(k, depth + 1) or _json_problem(v, depth + 1)] if p), None)
    elif isinstance(value, list):
        return next((p for v in value for p in [_json_problem(v, depth + 1)] if p), None)
    return None


def _extra_problem(record: Record) -> tuple[str, str] | None:
    """The first unknown key of a record that cannot be kept as metadata, and why."""
    for field, value in (record.__pydantic_extra__ or {}).items():
        why = _json_problem(value) or _json_problem(field)
        if why:
            return field, why
    return None


@cache
def _list_adapter(key: str) -> TypeAdapter[list[Record]]:
    return TypeAdapter(list[_MODELS[key]])  # type: ignore[valid-type]


def _parse_run(key: str, text: str) -> list[Record] | None:
    """A run of records of section `key` (a JSON array) validated straight from its text; None if any
    record is invalid (the stream then decodes and validates them one by one, to name record and field)."""
    try:
        records = _list_adapter(key).validate_json(text)
    except ValidationError:
        return None
    return None if any(r.__pydantic_extra__ and _extra_problem(r) for r in records) else records


_GETTERS = {key: attrgetter(*fields) for key, fields in FIELDS.items()}


_POINTS = TypeAdapter(list[HealthPointRecord])
_EVENTS = TypeAdapter(list[TicketEventRecord])


def _text_array(items: list[str]) -> str:
    """A PostgreSQL array literal of strings (COPY takes it as text; psycopg's list dumper costs more)."""
    return "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"


def _row(key: str, record: Record) -> tuple[Any, ...]:
    """The staged row of a validated record (without `ord`), in COLUMNS order."""
    extra = record.__pydantic_extra__
    computed: tuple[Any, ...] = (json.dumps(extra) if extra else "{}",)  # COPY takes JSON as text
    if key == "customers":
        keys = name_keys(record.name)  # type: ignore[attr-defined]
        points = _POINTS.dump_json(record.health_history, include={"__all__": {"at", "score"}})  # type: ignore[attr-defined]
        computed += (keys.key, keys.base, _text_array(keys.grams), points.decode())
    elif key == "tickets":  # with each event's own unknown keys (its metadata)
        computed += (_EVENTS.dump_json(record.events).decode(),)  # type: ignore[attr-defined]
    elif key == "save_plays":
        computed += (json.dumps(record.actions),)  # type: ignore[attr-defined]
    return _GETTERS[key](record) + computed


class _Loader:
    """One load's read side: header values, problems found so far, and the COPY into staging."""

    def __init__(self, feeder: Conn, staging: Staging, writer: SectionWriter, source: str) -> None:
        self.feeder, self.staging, self.writer, self.source = feeder, staging, writer, source
        self.header: dict[str, Any] = {}
        self.problems: list[str] = []
        self.more = 0
        self.counts = {key: 0 for key in _MODELS}
        self.vendor: VendorRecord | None = None
        self.past: list[PastResponseRecord] = []

    def report(self, problems: list[str]) -> None:
        room = _MAX_LISTED - len(self.problems)
        self.problems += problems[: max(room, 0)]
        self.more += max(len(problems) - max(room, 0), 0)

    def fail_if_any(self) -> None:
        if self.problems:
            raise WorldFileError("world.invalid", source=self.source, problems=self.problems, more=self.more)

    def take(self, items: Iterator[Item]) -> None:
        """Validate and stage every item of the file (one COPY per section, handed to the writer when done)."""
        with ExitStack() as stack:
            copy_key, copy, start = None, None, 0
            for key, index, value in items:
                if copy_key is not None and (key != copy_key or index is None or index - start >= CHUNK_ROWS):
                    stack.close()
                    self._staged(copy_key, (start, self.counts[copy_key]), complete=key != copy_key)
                    copy_key = None
                if index is None:
                    self._header(key, value)
                    continue
                record = value if isinstance(value, Record) else self.validate(key, index, value)
                if record is None or self.problems:
                    continue
                if copy_key is None:
                    cursor = stack.enter_context(self.feeder.cursor())
                    copy_key, start = key, index
                    copy = stack.enter_context(cursor.copy(
                        f"COPY {self.staging.table(key)} ({', '.join(COLUMNS[key])}, ord) FROM STDIN"))
                copy.write_row((*_row(key, record), index))  # type: ignore[union-attr]
                self.counts[key] += 1
        if copy_key is not None:
            self._staged(copy_key, (start, self.counts[copy_key]), complete=True)

    def _staged(self, key: str, chunk: tuple[int, int], *, complete: bool) -> None:
        if not self.problems:
            if complete:
                self.feeder.execute(f"ANALYZE {self.staging.table(key)}")
            self.writer.staged(key, chunk, complete=complete)

    def _header(self, key: str, value: Any) -> None:
        if key == "format" and value != WORLD_FORMAT:
            raise WorldFileError("world.bad_format", source=self.source, value=value, expected=WORLD_FORMAT)
        if key in _MODELS and value is not None:
            self.report([error_text("world.not_list", key=key)])
        if key == "as_of":
            self.writer.as_of(_as_of(value, self.source))
        self.header[key] = value

    def validate(self, key: str, index: int, raw: Any) -> Record | None:
        """Record `index` of section `key`, or None with its problems reported."""
        try:
            record = _RECORDS[key].model_validate(raw)
        except ValidationError as err:
            self.report([_problem(key, index, raw, _loc(e), _message(e)) for e in err.errors()])
            return None
        problem = _extra_problem(record)
        if problem:
            self.report([_problem(key, index, raw, *problem)])
            return None
        return record


def _dict_items(data: dict[str, Any]) -> Iterator[Item]:
    for key, value in data.items():
        if key in _MODELS and isinstance(value, list):
            yield from ((key, index, record) for index, record in enumerate(value))
        else:
            yield key, None, value


def _as_of(value: Any, source: str) -> datetime | None:
    if not value:
        return None
    try:
        anchor = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as err:
        raise WorldFileError("world.bad_as_of", source=source, value=value) from err
    return anchor if anchor.tzinfo else anchor.replace(tzinfo=timezone.utc)


def _vendor_record(loader: _Loader) -> VendorRecord | None:
    raw = loader.header.get("vendor")
    if raw is None:
        return None
    try:
        return VendorRecord.model_validate(raw)
    except ValidationError as err:
        loader.report([_problem("vendor", None, {}, _loc(e), _message(e)) for e in err.errors()])
        return None


def _past_responses(loader: _Loader) -> list[PastResponseRecord]:
    """The optional `responses` section (a short list, read whole), validated record by record."""
    raw = loader.header.get(PAST_RESPONSES)
    if raw is None or not isinstance(raw, list):
        loader.report([] if raw is None else [error_text("world.not_list", key=PAST_RESPONSES)])
        return []
    return [r for i, item in enumerate(raw) if isinstance(r := loader.validate(PAST_RESPONSES, i, item), PastResponseRecord)]


def _vendor(conn: Conn, vendor: VendorRecord | None) -> None:
    if vendor is None:
        return
    conn.execute(
        "INSERT INTO vendor (id, name, email_domain) VALUES (1, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email_domain = EXCLUDED.email_domain",
        (vendor.name, vendor.email_domain),
    )


def _write(conn: Conn, loader: _Loader) -> None:
    """Wait for the writer; a dangling reference or a duplicate id is traced back to its record."""
    try:
        loader.writer.finish()
    except (psycopg.errors.ForeignKeyViolation, psycopg.errors.CardinalityViolation,
            psycopg.errors.UniqueViolation) as err:  # the last: a repeated id on a first load (plain inserts)
        loader.report(find_duplicates(conn, loader.staging) + find_broken_references(conn, loader.staging))
        loader.fail_if_any()
        raise WorldFileError("world.database", source=loader.source, detail=err.diag.message_primary) from err
    # within a chunk the upsert itself refuses a repeated id; across the chunks of a large section, look
    chunked = [key for key, count in loader.counts.items() if count > CHUNK_ROWS]
    loader.report(find_duplicates(conn, loader.staging, chunked))
    _vendor(conn, loader.vendor)
    loader.report(find_rule_breaks(conn, loader.staging))
    loader.report(past_response_problems(conn, loader.past))
    loader.fail_if_any()
    write_past_responses(conn, loader.past, shift=loader.writer.shift)


def _read(loader: _Loader, source: Path | dict[str, Any], progress: Progress | None) -> None:
    """Read and stage the whole file; on any problem, stop the writer and raise."""
    try:
        if isinstance(source, Path):
            _stream_file(loader, source, progress)
        else:
            loader.take(_dict_items(source))
        if "format" not in loader.header:
            raise WorldFileError("world.bad_format", source=loader.source, value=None, expected=WORLD_FORMAT)
        loader.vendor = _vendor_record(loader)
        loader.past = _past_responses(loader)
        loader.fail_if_any()
    except BaseException:
        loader.writer.finish(stop=True)
        raise
    if progress is not None:
        progress("writing", 0, 0)


def load_world(store: Store, source: Path | dict[str, Any], *, now: datetime | None = None,
               progress: Progress | None = None) -> LoadReport:
    """Validate and upsert a world; all of it or nothing. Loading the same file twice changes nothing.

    Args:
        store: The database.
        source: A world file (streamed), or an already decoded world document.
        now: The moment of a first load (default: the current time); the shift is now - as_of.
        progress: Told how far reading has got, then that writing goes on (the CLI draws a bar).

    Raises:
        WorldFileError: The file is unreadable, malformed, or breaks the format; nothing was written.
    """
    name = str(source) if isinstance(source, Path) else "<world>"
    if not isinstance(source, (Path, dict)):
        raise WorldFileError("world.not_object", source=name)
    staging = Staging(uuid.uuid4().hex[:10])
    # The COPY feed has a connection of its own, outside the pool: a load holds one pooled connection
    # (the transaction), like any request, and works on a pool of one.
    with psycopg.connect(store.url, autocommit=True, row_factory=dict_row) as feeder:
        feeder.execute("SET TIME ZONE 'UTC'")  # naive timestamps in a file are UTC
        try:
            with store.transaction() as conn:
                conn.execute("LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE")  # one loader at a time
                conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                conn.execute("SET LOCAL TIME ZONE 'UTC'")
                staging.create(feeder)
                loader = _Loader(feeder, staging, SectionWriter(conn, staging, now=utcnow(now)), name)
                _read(loader, source, progress)
                _write(conn, loader)
        finally:
            staging.drop(feeder)
    record_outcomes(store, now=now)  # the outcomes of the world's past responses, so history applies at once
    counts = loader.counts | {PAST_RESPONSES: len(loader.past)}
    return LoadReport(source=name, shift_seconds=loader.writer.shift.total_seconds(), counts=counts)


def _stream_file(loader: _Loader, path: Path, progress: Progress | None) -> None:
    try:
        handle = path.open("rb")
    except OSError as err:
        raise WorldFileError("world.unreadable", path=path, reason=err.strerror or err) from err
    with handle:
        total = path.stat().st_size
        told = None if progress is None else (lambda done: progress("reading", done, total))
        loader.take(stream_world(handle, source=str(path), sections=frozenset(_MODELS), progress=told, parse=_parse_run))

