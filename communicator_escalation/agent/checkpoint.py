"""The conversation checkpointer: langgraph-checkpoint-postgres on the store's own database."""

from __future__ import annotations

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver

from ..errors import StoreUnavailable
from ..store import Store

__all__ = ["postgres_checkpointer"]

_SETUP_LOCK = 7_202_029  # advisory lock: two processes starting at once set the tables up one after the other


def postgres_checkpointer(store: Store) -> PostgresSaver:
    """A PostgresSaver on the store's pool (autocommit, dict rows), with its tables set up.

    Threads saved here outlive the process: another process on the same database resumes them by
    thread id.
    """
    try:
        with store.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
            try:
                PostgresSaver(conn).setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    except psycopg.Error as err:
        raise StoreUnavailable(f"cannot set up the conversation checkpointer: {err}") from err
    return PostgresSaver(store.pool)
