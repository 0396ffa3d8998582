"""Shared fixtures: one embedded PostgreSQL per test session, a fresh database per test."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from communicator_escalation.store import Store
from communicator_escalation.store.embedded import embedded_server_uri, stop_embedded_server
from communicator_escalation.store.migrate import migrate

DEMO_WORLD = Path(__file__).resolve().parents[1] / "communicator_escalation" / "worlds" / "demo-world.json"
_TEMPLATE = "escalation_test_template"
_counter = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    """Keep every test's files (outbox, briefs) out of the real ESCALATION_HOME: a temporary one unless set."""
    if "ESCALATION_HOME" not in os.environ:
        home = Path(tempfile.mkdtemp(prefix="escalation-test-home-"))
        os.environ["ESCALATION_HOME"] = str(home)
        config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


def _with_database(url: str, name: str) -> str:
    """`url` pointed at database `name` (works for socket and TCP URLs)."""
    return psycopg.conninfo.make_conninfo(url, dbname=name)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """Admin URL of the test server: ESCALATION_TEST_DATABASE_URL, or an embedded server of this session.

    The embedded cluster lives in its own temporary folder (not pytest's basetemp, which a concurrent
    pytest run may prune) and is stopped and removed at the end of the session.
    """
    url = os.environ.get("ESCALATION_TEST_DATABASE_URL")
    if url:
        yield from _prepared(url)
        return
    folder = Path(tempfile.mkdtemp(prefix="escalation-test-pg-"))
    try:
        yield from _prepared(embedded_server_uri(folder / "pgdata", database="postgres"))
    finally:
        stop_embedded_server(folder / "pgdata")
        shutil.rmtree(folder, ignore_errors=True)


def _prepared(url: str) -> Iterator[str]:
    """Create the migrated template database every test database is copied from."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
        conn.execute(f"CREATE DATABASE {_TEMPLATE}")
    with psycopg.connect(_with_database(url, _TEMPLATE), autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        migrate(conn)
    yield url


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """URL of a fresh, migrated, empty database, dropped on exit."""
    name = f"escalation_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db_url(pg_admin_url: str) -> Iterator[str]:
    """URL of a fresh, migrated, empty database for one test."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A Store on a fresh empty database."""
    with Store.open(db_url, max_size=4) as opened:
        yield opened


@pytest.fixture
def demo_world_path() -> Path:
    return DEMO_WORLD


@pytest.fixture
def demo_world(store: Store, demo_world_path: Path) -> dict[str, Any]:
    """The demo world, loaded into the test's store; returns the world file's records."""
    from communicator_escalation.store.world.loader import load_world

    load_world(store, demo_world_path)
    world: dict[str, Any] = json.loads(demo_world_path.read_text())
    return world
