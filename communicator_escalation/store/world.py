"""Load an `escalation-world/1` file: validate, time-shift, upsert by id in one transaction."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from pydantic import BaseModel, Field, ValidationError
from psycopg.types.json import Jsonb

from ..errors import WorldFileError
from . import Store
from .world_format import SECTIONS, WORLD_FORMAT, Record, VendorRecord
from .world_responses import parse_past_responses, write_past_responses

# Fields that must point at a record of the same customer (a reply must never cross accounts).
_SAME_CUSTOMER = {
    "tickets": ("requester_contact_id",),
    "communications": ("contact_id",),
    "risk_signals": ("reported_by_contact_id", "ticket_id", "communication_id"),
}
_MAX_LISTED = 5


class LoadReport(BaseModel):
    """What a load wrote."""

    source: str = Field(description="File loaded.")
    shift_seconds: float = Field(description="Seconds every timestamp was moved by (now - as_of).")
    counts: dict[str, int] = Field(description="Records per section.")


class World(BaseModel):
    """A validated world, before it is written."""

    vendor: VendorRecord | None
    sections: dict[str, list[Any]]


def _problem(section: str, index: int | None, raw: Any, field: str, message: str) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = f"{section} {rid!r}" if rid else section if index is None else f"{section}[{index}]"
    return f"{where}: field '{field}': {message}"


def parse_world(data: Any, *, source: str = "<world>") -> World:
    """Validate a decoded world document; raise WorldFileError naming every bad record and field."""
    if not isinstance(data, dict):
        raise WorldFileError(f"{source}: a world file is a JSON object")
    if data.get("format") != WORLD_FORMAT:
        raise WorldFileError(f"{source}: unsupported format {data.get('format')!r}; expected {WORLD_FORMAT!r}")
    problems: list[str] = []
    vendor = None
    if data.get("vendor") is not None:
        try:
            vendor = VendorRecord.model_validate(data["vendor"])
        except ValidationError as err:
            problems += [_problem("vendor", None, {}, _loc(e), e["msg"]) for e in err.errors()]
    sections: dict[str, list[Any]] = {}
    for key, model, _refs in SECTIONS:
        raw_list = data.get(key)
        if raw_list is None:
            raw_list = []
        if not isinstance(raw_list, list):
            problems.append(f"{key}: expected a list")
            continue
        records, seen = [], set()
        for index, raw in enumerate(raw_list):
            try:
                record = model.model_validate(raw)
            except ValidationError as err:
                problems += [_problem(key, index, raw, _loc(e), e["msg"]) for e in err.errors()]
                continue
            if record.id in seen:  # type: ignore[attr-defined]
                problems.append(_problem(key, index, raw, "id", "duplicate id in this file"))
            seen.add(record.id)  # type: ignore[attr-defined]
            records.append(record)
        sections[key] = records
    if problems:
        raise _invalid(source, problems)
    return World(vendor=vendor, sections=sections)


def _loc(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(record)"


def _invalid(source: str, problems: list[str]) -> WorldFileError:
    more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
    return WorldFileError(f"{source}: " + "; ".join(problems[:_MAX_LISTED]) + more + "; nothing was written")


def read_world_file(path: Path) -> Any:
    """Read and decode a world file, with a clear error for a missing or malformed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise WorldFileError(f"{path}: cannot read: {err.strerror or err}") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise WorldFileError(f"{path}: not valid JSON at line {err.lineno} column {err.colno}: {err.msg}") from err


def _time_shift(as_of: Any, now: datetime) -> timedelta:
    """now - as_of, or nothing when the file has no as_of."""
    if not as_of:
        return timedelta(0)
    try:
        anchor = datetime.fromisoformat(str(as_of).replace("Z", "+00:00"))
    except ValueError as err:
        raise WorldFileError(f"as_of {as_of!r} is not an ISO-8601 timestamp") from err
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=timezone.utc)
    return now - anchor


def _moved(record: Record, delta: timedelta) -> dict[str, Any]:
    """A record's fields with timestamps and dates shifted."""
    days = timedelta(days=round(delta.total_seconds() / 86400))

    def move(value: Any) -> Any:
        if isinstance(value, datetime):
            return value + delta
        if isinstance(value, date):
            return value + days
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, Record):
            return {k: move(v) for k, v in value.model_dump().items()}
        return value

    return {name: move(getattr(record, name)) for name in type(record).model_fields}


def _existing_ids(conn: psycopg.Connection[dict[str, Any]]) -> dict[str, dict[str, str | None]]:
    """id -> customer_id of what the database already holds, per section."""
    found: dict[str, dict[str, str | None]] = {"staff": {r["id"]: None for r in conn.execute("SELECT id FROM staff")}}
    for table in ("customers", "contacts", "tickets", "communications", "risk_signals", "save_plays"):
        column = "id" if table == "customers" else "customer_id"
        found[table] = {r["id"]: r["owner"] for r in conn.execute(f"SELECT id, {column} AS owner FROM {table}")}
    return found


def _check_references(world: World, existing: dict[str, dict[str, str | None]], source: str) -> None:
    owners = {key: dict(existing.get(key, {})) for key, _, _ in SECTIONS}
    for key, records in world.sections.items():
        for record in records:
            owners[key][record.id] = record.id if key == "customers" else getattr(record, "customer_id", None)
    problems = []
    for key, _model, refs in SECTIONS:
        for index, record in enumerate(world.sections[key]):
            raw = {"id": record.id}
            for field, target in refs.items():
                value = getattr(record, field)
                if value is None:
                    continue
                if value not in owners[target]:
                    problems.append(_problem(key, index, raw, field, f"unknown {target} id {value!r}"))
                elif field in _SAME_CUSTOMER.get(key, ()) and owners[target][value] != record.customer_id:
                    problems.append(
                        _problem(key, index, raw, field, f"{target} {value!r} belongs to another customer")
                    )
    if problems:
        raise _invalid(source, problems)


def load_world(store: Store, source: Path | dict[str, Any], *, now: datetime | None = None) -> LoadReport:
    """Validate and upsert a world; all of it or nothing. Loading the same file twice adds nothing."""
    name = str(source) if isinstance(source, Path) else "<world>"
    data = read_world_file(source) if isinstance(source, Path) else source
    world = parse_world(data, source=name)
    past = parse_past_responses(data.get("responses"), source=name)
    delta = _time_shift(data.get("as_of"), now or datetime.now(timezone.utc))
    with store.transaction() as conn:
        conn.execute("LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE")  # one loader at a time
        _check_references(world, _existing_ids(conn), name)
        if world.vendor is not None:
            conn.execute(
                "INSERT INTO vendor (id, name, email_domain) VALUES (1, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email_domain = EXCLUDED.email_domain",
                (world.vendor.name, world.vendor.email_domain),
            )
        for key, _model, _refs in SECTIONS:
            rows = [(_moved(r, delta), r.metadata) for r in world.sections[key]]
            if rows:
                _UPSERTS[key](conn, rows)
        write_past_responses(conn, past, shift=delta, source=name)
    from ..insights.outcomes import record_outcomes  # the history's outcomes are known now (lexicon tone)

    record_outcomes(store, now=now)
    counts = {key: len(records) for key, records in world.sections.items()} | {"responses": len(past)}
    return LoadReport(source=name, shift_seconds=delta.total_seconds(), counts=counts)


def _upsert(conn: psycopg.Connection[dict[str, Any]], table: str, columns: list[str], rows: list[dict[str, Any]],
            keep: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE; `keep` columns are not cleared by a file that lacks them."""
    assignments = ", ".join(
        f"{c} = COALESCE(EXCLUDED.{c}, {table}.{c})" if c in keep else f"{c} = EXCLUDED.{c}"
        for c in columns if c != "id"
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('%(' + c + ')s' for c in columns)})"
        f" ON CONFLICT (id) DO UPDATE SET {assignments}"
    )
    with conn.cursor() as cur:
        cur.executemany(sql, rows)


def _plain(rows: list[tuple[dict[str, Any], dict[str, Any]]], drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{**{k: v for k, v in fields.items() if k not in drop}, "metadata": Jsonb(meta)} for fields, meta in rows]


def _staff(conn: psycopg.Connection[dict[str, Any]], rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    data = _plain(rows)
    _upsert(conn, "staff", list(data[0]), data)


def _customers(conn: psycopg.Connection[dict[str, Any]], rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    data = _plain(rows, drop=("health_history",))
    _upsert(conn, "customers", list(data[0]), data)
    ids = [fields["id"] for fields, _ in rows]
    conn.execute("DELETE FROM health_history WHERE customer_id = ANY(%s)", (ids,))
    points = [(f["id"], p["at"], p["score"]) for f, _ in rows for p in f["health_history"]]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO health_history (customer_id, at, score) VALUES (%s, %s, %s)"
            " ON CONFLICT (customer_id, at) DO UPDATE SET score = EXCLUDED.score",
            points,
        )


def _tickets(conn: psycopg.Connection[dict[str, Any]], rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    data = _plain(rows, drop=("events",))
    _upsert(conn, "tickets", list(data[0]), data)
    ids = [fields["id"] for fields, _ in rows]
    conn.execute("DELETE FROM ticket_events WHERE ticket_id = ANY(%s)", (ids,))
    events = [
        (f["id"], seq, e["at"], e["kind"], e["note"], Jsonb({k: v for k, v in e.items() if k not in ("at", "kind", "note")}))
        for f, _ in rows
        for seq, e in enumerate(f["events"])
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ticket_events (ticket_id, seq, at, kind, note, metadata) VALUES (%s, %s, %s, %s, %s, %s)",
            events,
        )


def _simple(table: str, keep: tuple[str, ...] = ()) -> Any:
    def upsert(conn: psycopg.Connection[dict[str, Any]], rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        data = _plain(rows)
        if table == "save_plays":
            for row in data:
                row["actions"] = Jsonb(row["actions"])
        _upsert(conn, table, list(data[0]), data, keep)

    return upsert


_UPSERTS = {
    "staff": _staff,
    "customers": _customers,
    "contacts": _simple("contacts"),
    "tickets": _tickets,
    "communications": _simple("communications"),
    # our own response tracking survives a reload of a file that does not carry it
    "risk_signals": _simple("risk_signals", keep=("response_sent_at", "response_email_id")),
    "save_plays": _simple("save_plays"),
}
