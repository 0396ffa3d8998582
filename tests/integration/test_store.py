"""The store migrates once and keeps the audit log append-only."""

from __future__ import annotations

import psycopg
import pytest

from communicator_escalation.store import Store
from communicator_escalation.store.migrate import migrate, migration_files


def test_second_start_applies_nothing(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        assert migrate(conn) == []
        versions = [r["version"] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [v for v, _, _ in migration_files()]


def test_fresh_database_gets_every_migration(pg_admin_url: str) -> None:
    name = "escalation_test_fresh_migrate"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(pg_admin_url, dbname=name)
    with Store.open(url) as store, store.connection() as conn:
        assert len(conn.execute("SELECT * FROM schema_migrations").fetchall()) == len(migration_files())
        cols = {r["column_name"] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'risk_signals'")}
    assert {"response_sent_at", "response_email_id"} <= cols
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_audit_log_is_append_only(store: Store) -> None:
    with store.connection() as conn:
        conn.execute("INSERT INTO audit_log (actor, entity, entity_id, action) VALUES ('t', 'x', '1', 'a')")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE audit_log SET actor = 'other'")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM audit_log")
