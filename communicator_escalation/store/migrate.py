"""Numbered SQL migrations, applied once each and recorded in schema_migrations."""

from __future__ import annotations

import re
from importlib import resources

from typing import Any

import psycopg

from .name_keys import name_keys

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_202_902_900  # advisory lock: one migrator at a time


def migration_files() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every packaged migration, in order."""
    found = []
    for entry in resources.files("communicator_escalation.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: psycopg.Connection[dict[str, Any]]) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied (empty on a second start)."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["version"] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, name, sql in migration_files():
            if version in done:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
            applied.append(name)
        backfill_name_keys(conn)
    return applied


def backfill_name_keys(conn: psycopg.Connection[dict[str, Any]]) -> int:
    """Store the comparison keys of customers that have none (written before 0020 or by plain SQL)."""
    rows = conn.execute("SELECT id, name FROM customers WHERE name_key IS NULL").fetchall()
    keyed = [(keys.key, keys.base, keys.grams, row["id"]) for row in rows for keys in [name_keys(row["name"])]]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE customers SET name_key = %s, name_base_key = %s, name_grams = %s WHERE id = %s", keyed
        )
    return len(keyed)
