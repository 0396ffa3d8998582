"""Staging of a world load: unlogged tables filled by COPY, set-based upserts, and the checks.

Each section is copied into an unlogged table of the load shaped like its target (plus `ord`, the
record's place in the file, and `nested`, its health history or ticket events as JSON), then written
chunk by chunk (ranges of `ord`) with `INSERT ... SELECT ... ON CONFLICT`, the time shift applied in SQL
(a plain `INSERT ... SELECT` into a table still empty: a first load has nothing to update). The foreign keys of the
real tables catch a dangling reference at once; only then are the staging tables searched for the
record and field to name. Checks that are not foreign keys (a reference to another customer's
record, manager cycles, staff addresses off the vendor's domain) run on the written rows. The past
responses of a file (a small section) are checked and upserted last, straight from their records.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ...errors import error_text
from .format import PAST_RESPONSES, SECTIONS, PastResponseRecord

__all__ = [
    "BULK_ROWS", "CHUNK_ROWS", "COLUMNS", "FIELDS", "Staging", "find_broken_references", "find_duplicates", "find_rule_breaks",
    "is_empty", "past_response_problems", "restore_dropped", "upsert_chunk", "write_past_responses",
]

Conn = psycopg.Connection[dict[str, Any]]

# Staged columns per section, in COPY order (before `ord`): the record's own fields, then the computed
# ones (`metadata`, name keys, `nested`: the health history or ticket events as JSON; `actions` as JSON).
FIELDS: dict[str, tuple[str, ...]] = {
    "staff": ("id", "name", "email", "role", "manager_id", "title", "phone", "timezone"),
    "customers": ("id", "name", "domain", "arr", "tier", "health_score", "renewal_date", "timezone",
                  "customer_since", "csm_id", "account_executive_id", "support_lead_id", "executive_sponsor_id"),
    "contacts": ("id", "customer_id", "name", "title", "email", "role"),
    "tickets": ("id", "customer_id", "subject", "description", "priority", "status", "opened_at",
                "requester_contact_id", "assignee_id"),
    "communications": ("id", "customer_id", "channel", "direction", "at", "subject", "body", "contact_id",
                       "staff_id", "thread_id", "message_id"),
    "risk_signals": ("id", "customer_id", "signal_type", "severity", "source", "escalation_type", "title",
                     "description", "detected_at", "status", "reported_by_contact_id", "ticket_id",
                     "communication_id", "response_sent_at", "response_email_id", "resolved_at"),
    "save_plays": ("id", "customer_id", "title", "status", "owner_id", "created_at"),
}
COMPUTED: dict[str, tuple[str, ...]] = {
    "customers": ("metadata", "name_key", "name_base_key", "name_grams", "nested"),
    "tickets": ("metadata", "nested"),
    "save_plays": ("metadata", "actions"),
}
COLUMNS = {key: fields + COMPUTED.get(key, ("metadata",)) for key, fields in FIELDS.items()}
_TIMES = {"opened_at", "at", "detected_at", "response_sent_at", "created_at", "resolved_at"}
_DATES = {"renewal_date", "customer_since"}
# What the product records on a signal survives a reload: its answer, and a resolution.
_PRODUCT_KEEPS = {
    "response_sent_at": "COALESCE(risk_signals.response_sent_at, EXCLUDED.response_sent_at)",
    "response_email_id": "COALESCE(risk_signals.response_email_id, EXCLUDED.response_email_id)",
    "status": "CASE WHEN risk_signals.status = 'resolved' THEN 'resolved' ELSE EXCLUDED.status END",
    "resolved_at": "COALESCE(risk_signals.resolved_at, EXCLUDED.resolved_at)",
}
# Fields that must point at a record of the same customer (a reply must never cross accounts).
_SAME_CUSTOMER = {
    "tickets": ("requester_contact_id",),
    "communications": ("contact_id",),
    "risk_signals": ("reported_by_contact_id", "ticket_id", "communication_id"),
}
_IN_CHUNK = "s.ord >= %(lo)s AND s.ord < %(hi)s"  # the staged records `s` of one chunk


class _Nested(NamedTuple):
    """A section's nested list, kept in a table of its own."""

    table: str
    parent: str  # the table's column naming the record
    insert: str  # INSERT of the nested items of the chunk's staged records (`{stage}`, `{chunk}`)


_NESTED = {
    "customers": _Nested(
        "health_history", "customer_id",
        "INSERT INTO health_history (customer_id, at, score)"
        " SELECT s.id, (p->>'at')::timestamptz + %(shift)s, (p->>'score')::integer"
        " FROM {stage} s CROSS JOIN LATERAL jsonb_array_elements(s.nested) p WHERE {chunk}"
        " ON CONFLICT (customer_id, at) DO UPDATE SET score = EXCLUDED.score",
    ),
    "tickets": _Nested(
        "ticket_events", "ticket_id",
        "INSERT INTO ticket_events (ticket_id, seq, at, kind, note, due, metadata)"
        " SELECT s.id, e.seq - 1, (e.ev->>'at')::timestamptz + %(shift)s, e.ev->>'kind', e.ev->>'note',"
        " (e.ev->>'due')::timestamptz + %(shift)s, e.ev - 'at' - 'kind' - 'note' - 'due'"
        " FROM {stage} s CROSS JOIN LATERAL jsonb_array_elements(s.nested) WITH ORDINALITY e(ev, seq) WHERE {chunk}",
    ),
}
_LIMIT = 6
BULK_ROWS = 20_000
CHUNK_ROWS = 50_000  # a large section is handed to the writer in chunks of this many records


class Staging:
    """One load's staging tables: unlogged tables that a second connection fills (and commits) while the
    load's transaction writes the sections already complete; dropped when the load ends."""

    def __init__(self, load_id: str) -> None:
        self.prefix = f"world_stage_{load_id}"

    def table(self, key: str) -> str:
        """The staging table of a section."""
        return f"{self.prefix}_{key}"

    def create(self, conn: Conn) -> None:
        """Drop what a crashed load left behind (only one load runs at a time), then create the tables."""
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'world\\_stage\\_%'"
        ).fetchall():
            conn.execute(f'DROP TABLE IF EXISTS "{row["tablename"]}"')
        for key, columns in COLUMNS.items():
            # with the defaults: a NOT NULL column the file does not fill (e.g. a save play's plan) takes its default
            conn.execute(f"CREATE UNLOGGED TABLE {self.table(key)} (LIKE {key} INCLUDING DEFAULTS)")
            conn.execute(f"ALTER TABLE {self.table(key)} ADD COLUMN ord integer"
                         + (", ADD COLUMN nested jsonb" if "nested" in columns else ""))
            conn.execute(f"CREATE INDEX ON {self.table(key)} USING brin (ord)")  # chunks are ord ranges

    def drop(self, conn: Conn) -> None:
        for key in COLUMNS:
            conn.execute(f"DROP TABLE IF EXISTS {self.table(key)}")


def _value(column: str) -> str:
    if column in _TIMES:
        return f"s.{column} + %(shift)s"
    if column in _DATES:
        return f"s.{column} + %(days)s"
    return f"s.{column}"


def _upsert(conn: Conn, key: str, stage: str, chunk: tuple[int, int], shift: timedelta, days: int, *,
            fresh: bool) -> None:
    columns = [c for c in COLUMNS[key] if c != "nested"]
    params = {"shift": shift, "days": days, "lo": chunk[0], "hi": chunk[1]}
    insert = (f"INSERT INTO {key} ({', '.join(columns)}) SELECT {', '.join(_value(c) for c in columns)}"
              f" FROM {stage} s WHERE {_IN_CHUNK}")
    if fresh:  # nothing to update: a repeated id of the file is a unique violation
        conn.execute(insert, params)
        return
    updates = [c for c in columns if c != "id"]
    assignments = ", ".join(
        f"{c} = {_PRODUCT_KEEPS[c]}" if key == "risk_signals" and c in _PRODUCT_KEEPS else f"{c} = EXCLUDED.{c}"
        for c in updates
    )
    changed = f"({', '.join(f'{key}.{c}' for c in updates)}) IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in updates)})"
    conn.execute(f"{insert} ON CONFLICT (id) DO UPDATE SET {assignments} WHERE {changed}", params)


def _replace_nested(conn: Conn, key: str, stage: str, chunk: tuple[int, int], shift: timedelta, *,
                    fresh: bool) -> None:
    """The health history of staged customers, or the events of staged tickets, replaced as a whole
    (`fresh`: the section's table was empty, so are these: nothing to delete)."""
    nested = _NESTED.get(key)
    if nested is None:
        return
    params = {"shift": shift, "lo": chunk[0], "hi": chunk[1]}
    if not fresh:
        conn.execute(f"DELETE FROM {nested.table} n USING {stage} s WHERE n.{nested.parent} = s.id AND {_IN_CHUNK}",
                     params)
    conn.execute(nested.insert.format(stage=stage, chunk=_IN_CHUNK), params)


def _foreign_keys(conn: Conn, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        (table,),
    ).fetchall()
    return [(row["conname"], row["definition"]) for row in rows]


def _plain_indexes(conn: Conn, table: str) -> list[tuple[str, str]]:
    """The indexes of `table` that enforce nothing (not unique): (name, definition)."""
    rows = conn.execute(
        "SELECT c.relname AS name, pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x"
        " JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = %s::regclass AND NOT x.indisunique"
        " ORDER BY c.relname",
        (table,),
    ).fetchall()
    return [(row["name"], row["definition"]) for row in rows]


def is_empty(conn: Conn, key: str) -> bool:
    """Whether section `key`'s table has no row (then its load inserts, with nothing to update or delete)."""
    return conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {key}) AS empty").fetchone()["empty"]


def upsert_chunk(conn: Conn, key: str, chunk: tuple[int, int], *, staging: Staging, shift: timedelta,
                 bulk: bool, fresh: bool) -> list[tuple[str, str]]:
    """Write the staged records `chunk` (a range of `ord`) of one section into its table.

    With `bulk` (the first chunk of a section of BULK_ROWS records or more), the section's foreign keys
    are dropped first: one set-based validation when they are added back instead of a lookup per row
    (4 times faster), at the price of an exclusive lock on those tables until the load commits. With
    `fresh` too (the table was empty), so are its indexes that enforce nothing: one sorted build each
    instead of an insertion per row (the customers' trigram GIN index costs most). Returns (table, the
    statement that restores it) for `restore_dropped`.
    """
    dropped = []
    if bulk:
        nested = _NESTED.get(key)
        for table in (key, nested.table) if nested else (key,):
            if fresh:
                for name, definition in _plain_indexes(conn, table):
                    conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                    dropped.append((table, definition))
            for name, definition in _foreign_keys(conn, table):
                conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                dropped.append((table, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    days = round(shift.total_seconds() / 86400)
    _upsert(conn, key, staging.table(key), chunk, shift, days, fresh=fresh)
    _replace_nested(conn, key, staging.table(key), chunk, shift, fresh=fresh)
    return dropped


def restore_dropped(conn: Conn, dropped: list[tuple[str, str]]) -> None:
    """Build the indexes and add back the foreign keys `upsert_chunk` dropped (each checks every row at once)."""
    for _table, statement in dropped:
        conn.execute(statement)


def _where(key: str, row: dict[str, Any]) -> str:
    return f"{key} {row['id']!r}"


def _problem(where: str, field: str, reason: str, **facts: Any) -> str:
    """One problem of the file: where, which field, and why (the words of `reason`)."""
    return error_text("world.problem", where=where, field=field, message=error_text(reason, **facts))


def find_duplicates(conn: Conn, staging: Staging, keys: Iterable[str] = tuple(COLUMNS)) -> list[str]:
    """Ids given twice within one section (of `keys`) of the file."""
    problems = []
    for key in keys:
        rows = conn.execute(
            f"SELECT id FROM {staging.table(key)} GROUP BY id HAVING count(*) > 1 ORDER BY min(ord) LIMIT {_LIMIT}"
        ).fetchall()
        problems += [_problem(_where(key, row), "id", "world.duplicate") for row in rows]
    return problems


def find_broken_references(conn: Conn, staging: Staging) -> list[str]:
    """References to records neither in the file nor in the database, in file order per section."""
    problems = []
    for key, _model, refs in SECTIONS:
        for field, target in refs.items():
            rows = conn.execute(
                f"SELECT s.id, s.{field} AS value FROM {staging.table(key)} s WHERE s.{field} IS NOT NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {staging.table(target)} t WHERE t.id = s.{field})"
                f" AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.{field}) ORDER BY s.ord LIMIT {_LIMIT}"
            ).fetchall()
            problems += [_problem(_where(key, r), field, "world.unknown_ref", target=target, value=r["value"]) for r in rows]
    return problems


def find_rule_breaks(conn: Conn, staging: Staging) -> list[str]:
    """After the upserts: cross-customer references, manager cycles, staff addresses off the vendor's domain."""
    problems = []
    targets = {field: target for key, _m, refs in SECTIONS for field, target in refs.items()}
    for key, fields in _SAME_CUSTOMER.items():
        for field in fields:
            target = targets[field]
            rows = conn.execute(
                f"SELECT s.id, s.{field} AS value FROM {staging.table(key)} s JOIN {target} t ON t.id = s.{field}"
                f" WHERE t.customer_id <> s.customer_id ORDER BY s.ord LIMIT {_LIMIT}"
            ).fetchall()
            problems += [_problem(_where(key, r), field, "world.other_customer", target=target, value=r["value"])
                         for r in rows]
    staff = staging.table("staff")
    rows = conn.execute(
        "WITH RECURSIVE walk(start, cur, depth) AS ("
        f" SELECT s.id, s.manager_id, 1 FROM {staff} s WHERE s.manager_id IS NOT NULL"
        " UNION ALL SELECT w.start, m.manager_id, w.depth + 1 FROM walk w JOIN staff m ON m.id = w.cur"
        " WHERE w.cur <> w.start AND m.manager_id IS NOT NULL AND w.depth < 10000)"
        f" SELECT DISTINCT s.id, s.ord FROM walk w JOIN {staff} s ON s.id = w.start WHERE w.cur = w.start"
        f" ORDER BY s.ord LIMIT {_LIMIT}"
    ).fetchall()
    problems += [_problem(_where("staff", r), "manager_id", "world.manager_loop", staff_id=r["id"])
                 for r in rows]
    rows = conn.execute(
        f"SELECT s.id, s.email AS value, v.email_domain AS domain FROM {staff} s JOIN vendor v ON v.id = 1"
        " WHERE lower(split_part(s.email, '@', 2)) <> lower(v.email_domain)"
        " AND right(lower(split_part(s.email, '@', 2)), length(v.email_domain) + 1) <> '.' || lower(v.email_domain)"
        f" ORDER BY s.ord LIMIT {_LIMIT}"
    ).fetchall()
    problems += [_problem(_where("staff", r), "email", "world.off_domain", value=r["value"], domain=r["domain"])
                 for r in rows]
    return problems


def past_response_problems(conn: Conn, records: list[PastResponseRecord]) -> list[str]:
    """After the upserts: past responses given twice, pointing at unknown signals, staff or contacts, at
    another customer's contact, or using the id of a response drafted here."""
    ids = [p.id for p in records]
    signals = {r["id"]: r["customer_id"] for r in conn.execute(
        "SELECT id, customer_id FROM risk_signals WHERE id = ANY(%s)", ([p.risk_signal_id for p in records],))}
    staff = {r["id"] for r in conn.execute(
        "SELECT id FROM staff WHERE id = ANY(%s)", ([i for p in records for i in (p.sender_id, *p.cc) if i],))}
    contacts = {r["id"]: r["customer_id"] for r in conn.execute(
        "SELECT id, customer_id FROM contacts WHERE id = ANY(%s)", ([p.to_contact_id for p in records],))}
    taken = {r["id"] for r in conn.execute("SELECT id FROM escalation_responses WHERE id = ANY(%s)", (ids,))}
    problems = [_problem(f"{PAST_RESPONSES} {i!r}", "id", "world.duplicate") for i in sorted({i for i in ids
                                                                                             if ids.count(i) > 1})]
    for past in records:
        where = f"{PAST_RESPONSES} {past.id!r}"
        customer = signals.get(past.risk_signal_id)
        if customer is None:
            problems.append(_problem(where, "risk_signal_id", "world.unknown_ref", target="risk_signals", value=past.risk_signal_id))
        if past.to_contact_id is not None and past.to_contact_id not in contacts:
            problems.append(_problem(where, "to_contact_id", "world.unknown_ref", target="contacts", value=past.to_contact_id))
        elif past.to_contact_id is not None and customer and contacts[past.to_contact_id] != customer:
            problems.append(_problem(where, "to_contact_id", "world.other_customer", target="contacts", value=past.to_contact_id))
        for field, refs in (("sender_id", [past.sender_id] if past.sender_id else []), ("cc", past.cc)):
            problems += [_problem(where, field, "world.unknown_ref", target="staff", value=i) for i in refs if i not in staff]
        if past.id in taken:
            problems.append(_problem(where, "id", "world.drafted_here"))
    return problems


def write_past_responses(conn: Conn, records: list[PastResponseRecord], *, shift: timedelta) -> None:
    """Upsert checked past responses by id (CCs as the staff's addresses, `sent_at` moved by the world's shift)."""
    if not records:
        return
    columns = ("id", "risk_signal_id", "kind", "sender_id", "to_contact_id", "subject", "template", "tone",
               "expedited", "edit_ratio", "sent_at", "message_id", "thread_id", "metadata")
    rows = [{**past.model_dump(include=set(columns) - {"metadata"}), "cc": past.cc, "metadata": Jsonb(past.metadata),
             "shift": shift} for past in records]
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*columns[1:], "customer_id", "cc_addrs"))
    values = ", ".join("%(sent_at)s + %(shift)s" if c == "sent_at" else f"%({c})s" for c in columns)
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO past_responses ({', '.join(columns)}, customer_id, cc_addrs)"
            f" SELECT {values}, s.customer_id,"
            " (SELECT coalesce(jsonb_agg(st.email ORDER BY c.n), '[]') FROM unnest(%(cc)s::text[]) WITH ORDINALITY c(id, n)"
            "  JOIN staff st ON st.id = c.id)"
            f" FROM risk_signals s WHERE s.id = %(risk_signal_id)s ON CONFLICT (id) DO UPDATE SET {assignments}",
            rows,
        )
